# Sourced by setup.sh: ensure_audio_server starts a headless PulseAudio for the audio family (no sound
# card: devices published by drivers are its only sinks and sources, beside a null sink that the
# audio bench uses as its baseline). Idempotent: a running server is left as it is.
ensure_audio_server() {
  if pactl info >/dev/null 2>&1; then
    return 0
  fi
  local conf
  conf="$(dirname "${BASH_SOURCE[0]}")/pulse-headless.pa"
  # --exit-idle-time=-1: it stays up between test runs; -n: only our script, no hardware detection.
  pulseaudio --daemonize=yes --exit-idle-time=-1 --disallow-exit=no -n -F "$conf" --log-target=syslog 2>/dev/null || true
  local i
  for i in $(seq 1 50); do
    pactl info >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "setup: the audio server (pulseaudio) did not start; the audio family's tests need it" >&2
  return 1
}
