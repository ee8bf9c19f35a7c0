#!/usr/bin/env bash
# The guest tier's machine setup, idempotent: Debian's QEMU, a Debian kernel with its modules, and a
# static busybox (no image downloads: only Debian packages), then a small initramfs that mounts the
# host's root read-only over 9p and runs one job inside it. Prints the initramfs path on its last line.
set -euo pipefail

source "$(dirname "$0")/../lib/debian-packages.sh"
ensure_debian_packages qemu-system-x86 linux-image-amd64 busybox-static

# The newest kernel the linux-image-amd64 package brought.
kernel=$(ls -1 /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n1)
if [ -z "$kernel" ]; then
  echo "guest setup: no kernel under /boot after installing linux-image-amd64" >&2
  exit 1
fi
version=${kernel#/boot/vmlinuz-}
cache=${DRIVERKIT_GUEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/driverkit-guest}
initramfs="$cache/initramfs-$version.gz"
here=$(cd "$(dirname "$0")" && pwd)

if [ ! -s "$initramfs" ] || [ "$initramfs" -ot "$here/init" ] || [ "$initramfs" -ot "$0" ]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  mkdir -p "$work"/{bin,dev,proc,sys,host,lib/modules}
  cp "$(command -v busybox)" "$work/bin/busybox"
  cp "$here/init" "$work/init"
  chmod +x "$work/init"
  # Only what 9p over virtio needs; everything else loads from the host's /lib/modules once mounted.
  for m in virtio_pci 9pnet_virtio 9p; do
    modprobe -S "$version" --show-depends "$m" | awk '$1 == "insmod" { print $2 }'
  done | sort -u | while read -r ko; do
    case "$ko" in
      *.xz) xz -dc "$ko" >"$work/lib/modules/$(basename "${ko%.xz}")" ;;
      *.zst) zstd -dcq "$ko" >"$work/lib/modules/$(basename "${ko%.zst}")" ;;
      *) cp "$ko" "$work/lib/modules/" ;;
    esac
  done
  mkdir -p "$cache"
  (cd "$work" && find . -print0 | cpio --null -o -H newc --quiet | gzip -9) >"$initramfs.tmp"
  mv "$initramfs.tmp" "$initramfs"
fi
echo "$kernel $initramfs"
