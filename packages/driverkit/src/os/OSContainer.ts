import { OSObject } from './OSObject';

/** Mirrors `OSContainer`: the base of the value and collection classes that serialize. */
export abstract class OSContainer extends OSObject {}
