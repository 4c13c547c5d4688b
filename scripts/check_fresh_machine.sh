#!/usr/bin/env bash
# Proves the README's two commands on a fresh Debian 12 machine: builds a minimal Debian 12
# root (debootstrap --variant=minbase bookworm), copies a clean clone of HEAD into it, and
# runs `bash scripts/demo.sh` and then `bash scripts/test.sh` there with chroot, as root,
# with CI=true and no standard input. Prints each command's result and time; exits 1 when
# either fails. A green CI on a used machine proves little: packages installed by hand
# hide missing set-up steps. Run this after every change of dependencies or set-up, and
# write its result in scripts/README.md.
#
#   sudo bash scripts/check_fresh_machine.sh [--keep] [--dir DIR]
#
#   --dir DIR  where the root is built (default /var/tmp/sluice-fresh-root; emptied first)
#   --keep     leave the root in place afterwards
#
# The commands' logs are kept in DIR-logs/ (demo.log, test.log).
#
# Only the Debian archive and the npm registry are reachable here: the host's archive
# configuration (apt sources, apt.conf.d, keyrings), its npm configuration, and its CA
# certificates (a proxy may sign the registries' certificates) are copied into the root.
# Needs root, about 10 GB of disk and 30-60 minutes (the whole dependency set is downloaded).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=/var/tmp/sluice-fresh-root
KEEP=0
while [ $# -gt 0 ]; do
  case "$1" in
    --keep) KEEP=1 ;;
    --dir) DIR=${2:?--dir needs a folder}; shift ;;
    -h | --help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "check_fresh_machine: unknown argument '$1'" >&2; exit 2 ;;
  esac
  shift
done

say() { echo "check_fresh_machine: $*"; }
die() { echo "check_fresh_machine: error: $*" >&2; exit 1; }
DIR=$(realpath -m "$DIR")
case "$DIR" in
  / | /bin* | /boot* | /dev* | /etc* | /home | /lib* | /proc* | /root | /sbin* | /sys* | /usr* | /var | /tmp)
    die "--dir $DIR: choose a folder of its own (it is emptied)" ;;
esac
[ "$(id -u)" -eq 0 ] || die "run as root (debootstrap and chroot need it)"
[ -n "$(git -C "$ROOT" status --porcelain)" ] &&
  say "note: uncommitted changes are not checked; the root gets a clean clone of HEAD"
commit=$(git -C "$ROOT" rev-parse --short HEAD)

# --- mounts, undone whatever happens (an error, Ctrl-C, a kill) ------------------------------
mounts=()
cleanup() {
  local i p
  # Processes still running inside the root (after an interruption) go first.
  for p in /proc/[0-9]*; do
    [ "$(readlink "$p/root" 2>/dev/null)" = "$DIR" ] && kill -9 "${p#/proc/}" 2>/dev/null
  done
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do
    umount -l "${mounts[$i]}" 2>/dev/null || true
  done
  mounts=()
  if [ "$KEEP" = 0 ] && [ -d "$DIR" ]; then
    # Only remove it when nothing is mounted below it any more.
    if ! grep -q " $DIR/" /proc/mounts; then rm -rf "$DIR"; fi
  fi
}
trap cleanup EXIT
trap 'say "interrupted"; exit 130' INT TERM
mount_into() {  # mount_into ARGS... TARGET
  local target=${*: -1}
  mkdir -p "$target"
  mount "$@"
  mounts+=("$target")
}

# --- the root ---------------------------------------------------------------------------------
if ! command -v debootstrap >/dev/null; then
  say "installing debootstrap"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap >/dev/null ||
    { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap >/dev/null; } ||
    die "cannot install debootstrap"
fi
# The mirror the host uses for bookworm (deb822 .sources first, then sources.list).
mirror=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
[ -n "$mirror" ] || mirror=$(awk '$1 == "deb" && $3 ~ /^bookworm$/ { print $2; exit }' /etc/apt/sources.list 2>/dev/null || true)
[ -n "$mirror" ] || mirror=http://deb.debian.org/debian

grep -q " $DIR/" /proc/mounts && die "something is still mounted under $DIR; unmount it first"
rm -rf "$DIR"
mkdir -p "$DIR"
LOGS=$DIR-logs
rm -rf "$LOGS" && mkdir -p "$LOGS"
t0=$(date +%s)
say "debootstrap --variant=minbase bookworm $DIR $mirror"
debootstrap --variant=minbase bookworm "$DIR" "$mirror" > "$LOGS/debootstrap.log" 2>&1 ||
  { tail -20 "$LOGS/debootstrap.log"; die "debootstrap failed (log: $LOGS/debootstrap.log)"; }
t_debootstrap=$(( $(date +%s) - t0 ))
say "root ready in ${t_debootstrap}s"

# The host's archive and npm configuration, and its CA certificates.
rm -f "$DIR/etc/apt/sources.list"
cp -a /etc/apt/sources.list "$DIR/etc/apt/" 2>/dev/null || true
mkdir -p "$DIR/etc/apt/sources.list.d" "$DIR/etc/apt/apt.conf.d" "$DIR/etc/apt/keyrings"
cp -a /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list "$DIR/etc/apt/sources.list.d/" 2>/dev/null || true
cp -a /etc/apt/apt.conf.d/. "$DIR/etc/apt/apt.conf.d/"
cp -a /etc/apt/trusted.gpg.d/. "$DIR/etc/apt/trusted.gpg.d/" 2>/dev/null || true
cp -a /etc/apt/keyrings/. "$DIR/etc/apt/keyrings/" 2>/dev/null || true
for f in /usr/share/keyrings/*.gpg; do [ -e "$DIR$f" ] || cp -a "$f" "$DIR$f"; done
for f in /etc/npmrc /usr/etc/npmrc /root/.npmrc; do
  if [ -f "$f" ]; then mkdir -p "$DIR$(dirname "$f")" && cp -a "$f" "$DIR$f"; fi
done
mkdir -p "$DIR/etc/ssl/certs" "$DIR/usr/local/share/ca-certificates"
cp -aL /etc/ssl/certs/ca-certificates.crt "$DIR/etc/ssl/certs/ca-certificates.crt"
# Kept by update-ca-certificates when ca-certificates is installed in the root later.
cp -a /usr/local/share/ca-certificates/. "$DIR/usr/local/share/ca-certificates/" 2>/dev/null || true
cp -L /etc/resolv.conf "$DIR/etc/resolv.conf" 2>/dev/null || true

# A clean clone of HEAD: what a new user gets.
git clone -q "$ROOT" "$DIR/root/sluice"

mount_into -t proc proc "$DIR/proc"
mount_into -t sysfs sysfs "$DIR/sys"
mount_into --rbind /dev "$DIR/dev"
mount --make-rslave "$DIR/dev"
mount_into -t tmpfs tmpfs "$DIR/dev/shm"

# --- the README's two commands ----------------------------------------------------------------
# The environment a fresh machine's root shell has, plus CI=true and the CA variables.
run_in_root() {  # run_in_root NAME COMMAND
  local name=$1 cmd=$2 start rc
  start=$(date +%s)
  say "running '$cmd' (log: $LOGS/$name.log)"
  set +e
  chroot "$DIR" /usr/bin/env -i HOME=/root USER=root LANG=C.UTF-8 TERM=dumb CI=true \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt \
    /bin/bash -c "cd /root/sluice && $cmd" < /dev/null > "$LOGS/$name.log" 2>&1
  rc=$?
  set -e
  eval "rc_$name=$rc; t_$name=$(( $(date +%s) - start ))"
  if [ $rc -eq 0 ]; then say "'$cmd': ok in $(( $(date +%s) - start ))s"; else
    say "'$cmd': FAILED (exit $rc) after $(( $(date +%s) - start ))s; its last lines:"
    tail -25 "$LOGS/$name.log" | sed 's/^/  | /'
  fi
}
run_in_root demo "bash scripts/demo.sh"
run_in_root test "bash scripts/test.sh"
if [ "$KEEP" = 1 ]; then say "root kept in $DIR"; fi

status=ok
[ "$rc_demo" -eq 0 ] && [ "$rc_test" -eq 0 ] || status=FAILED
echo
echo "fresh Debian 12 check, $(date -u +%Y-%m-%d), commit $commit: $status"
echo "  debootstrap --variant=minbase bookworm: ${t_debootstrap}s"
echo "  bash scripts/demo.sh: exit $rc_demo, ${t_demo}s"
echo "  bash scripts/test.sh: exit $rc_test, ${t_test}s"
grep -E "tests passed, .* failed out of" "$LOGS/test.log" | sed 's/^/  ctest: /' || true
[ "$status" = ok ]
