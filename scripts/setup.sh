#!/usr/bin/env bash
# Installs and starts what the machine needs beyond Node and npm, idempotently. Safe to run again.
# Each family adds its own needs here (Debian packages, services) as it lands.
set -euo pipefail

need_node_major=20
have=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$have" -lt "$need_node_major" ]; then
  echo "setup: Node.js >= $need_node_major is required (found $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi

# Debian packages the project needs at run time or in tests (the guest tier installs its own).
source "$(dirname "$0")/lib/debian-packages.sh"
# udev: serialport's SerialPort.list() runs udevadm (the serial family's provider for existing ttys).
# libusb-1.0-0: node-hid's Linux binding links libusb-1.0.so.0 (without it the HID family cannot list
# hidraw devices at all; the guest tier's QEMU happened to bring it, so CI never saw it missing).
# pciutils: the PCI family's tests check its config-space decode against lspci's.
# libpcap0.8: the networking family's pcap NIC (libpcap through koffi: capture, BPF filters, inject).
# iputils-ping, ethtool: its tests ping through the user-space driver, and turn off the offloads of the
# veth peer that plays the wire (a wire carries whole, checksummed frames; veth passes GSO skbs on).
# tcpdump: an independent reader of the capture files its replay port plays back.
# pulseaudio, pulseaudio-utils: the audio family publishes devices to this audio server (started
# headless below), and its tests record and play with the server's own pacat/parec/pactl.
# alsa-utils: its ALSA-loopback backend (aplay/arecord between snd-aloop and the driver), tested on
# the guest tier's kernel.
# chromium: `driverkit explore`'s page is tested in a real browser (headless, driven by puppeteer-core).
packages=(udev libusb-1.0-0 pciutils libpcap0.8 iputils-ping ethtool tcpdump pulseaudio pulseaudio-utils alsa-utils chromium)
if [ "${#packages[@]}" -gt 0 ]; then
  ensure_debian_packages "${packages[@]}"
fi

# The audio server the audio family's devices appear in (headless, no sound card).
source "$(dirname "$0")/lib/audio-server.sh"
ensure_audio_server

# The account driver processes run as when the host is root and their backend needs nothing of root
# (macOS runs dexts as _driverkit too). Without it, the host keeps drivers as root and says so.
if ! getent passwd _driverkit > /dev/null; then
  useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin --user-group _driverkit
fi
