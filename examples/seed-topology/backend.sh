#!/bin/bash
# Stops, starts or checks one Dovecot backend of a running demo, for example to watch the
# gateway's health checks mark it unhealthy and then healthy again.
#
# Usage: backend.sh stop|start|status ID [--state DIR]
#
#   ID           be1 or be2: the backend whose config start.sh wrote to STATE/dovecot/ID.conf
#   --state DIR  the demo's state folder (default /tmp/mailpin-demo)
#
# stop runs "doveadm -c STATE/dovecot/ID.conf stop" and waits up to 15 s for the master to exit.
# start runs the master as start.sh does, "dovecot -F -c STATE/dovecot/ID.conf" in its own
# session, and waits up to 15 s for IMAP on the backend's address. Both keep STATE/pids up to
# date, so stop.sh stops a restarted backend too. stop and start run as root; status prints
# whether the backend runs.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
EXAMPLES_DIR=$(dirname "$SCRIPT_DIR")
LOG_PREFIX=backend.sh
# shellcheck source=../common.sh
source "$EXAMPLES_DIR/common.sh"

STOP_SECONDS=15
START_SECONDS=15

usage() {
    sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
}

ACTION=
ID=
STATE=/tmp/mailpin-demo
while (($# > 0)); do
    case "$1" in
        --state)
            [[ $# -ge 2 && -n "$2" ]] || fail "--state needs a folder"
            STATE=$2
            shift 2
            ;;
        -h | --help)
            usage
            exit 0
            ;;
        -*) fail "unknown option '$1'; run $0 --help" ;;
        *)
            if [[ -z "$ACTION" ]]; then
                ACTION=$1
            elif [[ -z "$ID" ]]; then
                ID=$1
            else
                fail "unexpected argument '$1'; run $0 --help"
            fi
            shift
            ;;
    esac
done
[[ "$ACTION" == stop || "$ACTION" == start || "$ACTION" == status ]] \
    || fail "missing or invalid action '${ACTION}': expected stop, start or status, e.g. $0 stop be2"
[[ "$ID" =~ ^be[0-9]+$ ]] || fail "missing or invalid backend id '${ID}': expected be1 or be2, e.g. $0 $ACTION be2"
STATE=$(absolute_path "$STATE")
CONFIG=$STATE/dovecot/$ID.conf
PID_FILE=$STATE/dovecot/$ID/run/master.pid
[[ -f "$CONFIG" ]] || fail "$CONFIG not found; start the demo first with $SCRIPT_DIR/start.sh --state $STATE"

# Prints the PID of the backend's running Dovecot master, or fails when none runs.
running_master() {
    local pid
    pid=$(cat "$PID_FILE" 2>/dev/null) || return 1
    [[ "$pid" =~ ^[0-9]+$ ]] && is_alive "$pid" && is_recorded_process "$pid" "$STATE" || return 1
    echo "$pid"
}

# Removes the backend's line from STATE/pids, so stop.sh does not look for a stopped master.
forget_pid() {
    [[ -f "$STATE/pids" ]] || return 0
    awk -v id="$ID" '!($2 == id && $3 == "dovecot")' "$STATE/pids" >"$STATE/pids.tmp"
    mv -f "$STATE/pids.tmp" "$STATE/pids"
}

stop_backend() {
    local pid
    if ! pid=$(running_master); then
        forget_pid
        log "$ID is not running."
        return
    fi
    doveadm -c "$CONFIG" stop || fail "doveadm -c $CONFIG stop failed; see $STATE/logs/$ID.log"
    wait_for_exit "$pid" "$STOP_SECONDS" \
        || fail "$ID (PID $pid) still runs $STOP_SECONDS s after doveadm stop; see $STATE/logs/$ID.log"
    forget_pid
    log "stopped $ID (PID $pid). Start it again with: $0 start $ID --state $STATE"
}

start_backend() {
    local pid address
    if pid=$(running_master); then
        log "$ID already runs (PID $pid)."
        return
    fi
    address=$(doveconf -c "$CONFIG" -h listen) || fail "doveconf cannot read listen from $CONFIG"
    if ! check_listen_addresses "$address:143" "$address:110" "$address:24" "$address:4190" "$address:587"; then
        fail "cannot start $ID: the addresses above are taken."
    fi
    # The same command as in start.sh. setsid gives the master its own session, and the
    # redirections leave it no descriptor of this script open.
    setsid dovecot -F -c "$CONFIG" </dev/null >>"$STATE/logs/$ID.stderr.log" 2>&1 &
    pid=$!
    forget_pid
    record_pid "$STATE" "$pid" "$ID" dovecot
    if ! wait_for_tcp "$address" 143 "$START_SECONDS"; then
        fail "$ID did not accept connections on $address:143 within $START_SECONDS s; see $STATE/logs/$ID.log and $STATE/logs/$ID.stderr.log"
    fi
    log "started $ID on $address (PID $pid)."
}

case "$ACTION" in
    stop)
        require_root
        stop_backend
        ;;
    start)
        require_root
        start_backend
        ;;
    status)
        if pid=$(running_master); then
            echo "$ID runs (PID $pid)"
        else
            echo "$ID is stopped"
        fi
        ;;
esac
