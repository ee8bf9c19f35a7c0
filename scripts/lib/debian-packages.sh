# Sourced by the setup scripts: ensure_debian_packages <package…> installs the missing ones (as root),
# or names them and fails when not root. Idempotent.
ensure_debian_packages() {
  local missing=() p
  for p in "$@"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: please install these Debian packages (as root): ${missing[*]}" >&2
    return 1
  fi
  echo "setup: installing ${missing[*]}…" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}
