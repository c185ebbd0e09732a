#!/bin/sh
# cloudfw host collector for macOS and Linux. Read-only: it only runs "show"/"list"/"get"
# commands and copies configuration files; it changes nothing. No dependencies beyond the OS.
#
# Usage:  sh collect-posix.sh [OUTDIR]        (run as root: pfctl/iptables/nft need it)
# Writes: OUTDIR/cloudfw-<host>-<UTC time>/ with manifest.json, and the same as .tar.gz.
# Audit:  cloudfw host audit OUTDIR/cloudfw-<host>-<time>.tar.gz
set -u
PATH=/usr/sbin:/sbin:/usr/bin:/bin:/usr/local/sbin:/usr/local/bin:$PATH
export PATH LC_ALL=C

OUT_PARENT=${1:-.}
HOST=$(hostname 2>/dev/null || uname -n)
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
NAME="cloudfw-$HOST-$STAMP"
DIR="$OUT_PARENT/$NAME"
umask 077
mkdir -p "$DIR" || { echo "cannot create $DIR" >&2; exit 1; }

ENTRIES=""
TOOLS=""

json_str() { # escape a string for JSON (backslash, quote, control characters)
  printf '%s' "$1" | tr -d '\000-\010\013\014\016-\037' |
    sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' | awk 'BEGIN{ORS=""} NR>1{print "\\n"} {print}'
}

record() { # record PATH FORMAT COMMAND STATUS EMPTY ERROR
  e="{\"path\": \"$(json_str "$1")\", \"format\": \"$2\", \"command\": \"$(json_str "$3")\","
  e="$e \"status\": $4, \"empty\": $5, \"error\": \"$(json_str "$6")\"}"
  if [ -z "$ENTRIES" ]; then ENTRIES="$e"; else ENTRIES="$ENTRIES, $e"; fi
}

tool() { # tool NAME VERSION-COMMAND...
  n=$1; shift
  v=$("$@" 2>&1 | head -n 1)
  e="\"$n\": \"$(json_str "$v")\""
  if [ -z "$TOOLS" ]; then TOOLS="$e"; else TOOLS="$TOOLS, $e"; fi
}

run() { # run FILE FORMAT COMMAND... : capture stdout; stderr kept only for the manifest
  file=$1; fmt=$2; shift 2
  "$@" >"$DIR/$file" 2>"$DIR/$file.err"
  st=$?
  err=$(head -c 400 "$DIR/$file.err" 2>/dev/null)
  rm -f "$DIR/$file.err"
  empty=false
  if [ ! -s "$DIR/$file" ]; then empty=true; rm -f "$DIR/$file"; fi
  record "$file" "$fmt" "$*" "$st" "$empty" "$err"
}

copy() { # copy FILE FORMAT SOURCE
  if [ -r "$3" ]; then cp "$3" "$DIR/$1" && record "$1" "$2" "cat $3" 0 false ""; fi
}

have() { command -v "$1" >/dev/null 2>&1; }

OS=$(uname -s)
case "$OS" in
  Darwin)
    OSVER=$(sw_vers -productVersion 2>/dev/null)
    SFW=/usr/libexec/ApplicationFirewall/socketfilterfw
    if [ -x "$SFW" ]; then
      run socketfilterfw.txt socketfilterfw "$SFW" --getglobalstate --getblockall \
        --getallowsigned --getstealthmode --getloggingmode --getloggingopt
      run socketfilterfw-apps.txt socketfilterfw "$SFW" --listapps
    fi
    copy com.apple.alf.plist alf-plist /Library/Preferences/com.apple.alf.plist
    run system_profiler-firewall.json system-profiler system_profiler -json SPFirewallDataType
    if have pfctl; then
      run pfctl-info.txt pf-info pfctl -s info
      run pfctl-rules.txt pf pfctl -sr
    fi
    # which interfaces face the internet: addresses, and the default route
    run ifconfig.txt ifconfig ifconfig -a
    run route-default.txt route-get route -n get default
    ;;
  *)
    OSVER=$(sed -n 's/^PRETTY_NAME="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' /etc/os-release 2>/dev/null)
    if have iptables-save; then
      tool iptables iptables --version
      run iptables-save.txt iptables iptables-save
    fi
    if have ip6tables-save; then run ip6tables-save.txt ip6tables ip6tables-save; fi
    if have nft; then
      tool nft nft --version
      run nft-ruleset.json nftables nft -j list ruleset
    fi
    if have ufw; then
      tool ufw ufw version
      run ufw-status.txt ufw ufw status verbose
    fi
    if have firewall-cmd && firewall-cmd --state >/dev/null 2>&1; then
      tool firewalld firewall-cmd --version
      run firewalld-zones.txt firewalld firewall-cmd --list-all-zones
    fi
    if have pfctl; then  # OpenBSD, FreeBSD (pfSense, OPNsense)
      run pfctl-info.txt pf-info pfctl -s info
      run pfctl-rules.txt pf pfctl -sr
    fi
    # which interfaces face the internet: addresses, and the default routes (IPv4 and IPv6)
    if have ip && ip -j addr show >/dev/null 2>&1; then
      run ip-addr.json ip-addr ip -j addr show
      run ip-route.json ip-route ip -j route show
      run ip6-route.json ip-route ip -j -6 route show
    elif have ifconfig; then
      run ifconfig.txt ifconfig ifconfig -a
    fi
    ;;
esac

cat >"$DIR/manifest.json" <<EOF
{
  "schema": "cloudfw.host-bundle/1",
  "host": "$(json_str "$HOST")",
  "collected_at": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
  "os": {"name": "$(json_str "$OS")", "release": "$(json_str "$(uname -r)")",
         "version": "$(json_str "$OSVER")"},
  "collector": "collect-posix.sh/1",
  "tools": {$TOOLS},
  "files": [$ENTRIES]
}
EOF

if tar -czf "$DIR.tar.gz" -C "$OUT_PARENT" "$NAME" 2>/dev/null; then
  echo "$DIR.tar.gz"
else
  echo "$DIR"
fi
