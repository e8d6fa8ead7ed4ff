# Sourced by the launcher at startup (busybox sh on the run image).
export PROFILE_SOURCED=yes
