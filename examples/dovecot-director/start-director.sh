#!/bin/bash
# Starts Dovecot 2.3's own director on one loopback address, as the reference that
# Mailpin's routing is compared against in tests.
#
# Usage: start-director.sh --ip 127.0.0.X --backends "127.0.0.11 127.0.0.12 ..."
#                          [--vhosts "100 50 ..."] [--state DIR]
#
#   --ip        address of the director's IMAP (143), POP3 (110), LMTP (24) and
#               ManageSieve (4190) proxy listeners and of its ring port 9090
#   --backends  space-separated addresses of the Dovecot backends (director_mail_servers)
#   --vhosts    space-separated vhost counts in the order of --backends (default 100 each)
#   --state     folder for the config, sockets, log and PID (default /tmp/mailpin-director)
#
# The director is a ring of one (director_servers = --ip). Its passdb is static
# (proxy=y nopassword=y), so the backends check the passwords. Stop it with
# stop-director.sh --state DIR.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
EXAMPLES_DIR=$(dirname "$SCRIPT_DIR")
LOG_PREFIX=start-director.sh
# shellcheck source=../common.sh
source "$EXAMPLES_DIR/common.sh"

STATE_MARKER=.mailpin-director-state
RING_PORT=9090
DEFAULT_VHOSTS=100

DIRECTOR_IP=""
STATE=/tmp/mailpin-director
BACKENDS=()
VHOSTS=()

usage() {
    sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'
}

is_loopback_ipv4() {
    [[ "$1" =~ ^127\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})$ ]] || return 1
    local octet
    for octet in "${BASH_REMATCH[@]:1}"; do
        ((10#$octet <= 255)) || return 1
    done
}

parse_arguments() {
    local backends_text="" vhosts_text=""
    while (($# > 0)); do
        case "$1" in
            --ip)
                [[ $# -ge 2 ]] || fail "--ip needs an address"
                DIRECTOR_IP=$2
                shift 2
                ;;
            --backends)
                [[ $# -ge 2 ]] || fail "--backends needs a list of addresses"
                backends_text=$2
                shift 2
                ;;
            --vhosts)
                [[ $# -ge 2 ]] || fail "--vhosts needs a list of numbers"
                vhosts_text=$2
                shift 2
                ;;
            --state)
                [[ $# -ge 2 && -n "$2" ]] || fail "--state needs a folder"
                STATE=$2
                shift 2
                ;;
            -h | --help)
                usage
                exit 0
                ;;
            *) fail "unknown option '$1'; run $0 --help" ;;
        esac
    done

    [[ -n "$DIRECTOR_IP" ]] || fail "--ip is required, for example --ip 127.0.0.31"
    # This example runs only on loopback, because tests must not reach other hosts.
    is_loopback_ipv4 "$DIRECTOR_IP" || fail "invalid --ip '$DIRECTOR_IP': expected an address in 127.0.0.0/8"

    read -r -a BACKENDS <<<"$backends_text"
    ((${#BACKENDS[@]} > 0)) || fail "--backends is required, for example --backends \"127.0.0.11 127.0.0.12\""
    local backend
    for backend in "${BACKENDS[@]}"; do
        is_loopback_ipv4 "$backend" || fail "invalid backend '$backend' in --backends: expected an address in 127.0.0.0/8"
        [[ "$backend" != "$DIRECTOR_IP" ]] || fail "backend $backend is the director's own --ip; use another address"
    done

    read -r -a VHOSTS <<<"$vhosts_text"
    if ((${#VHOSTS[@]} == 0)); then
        local i
        for i in "${!BACKENDS[@]}"; do
            VHOSTS[i]=$DEFAULT_VHOSTS
        done
    fi
    ((${#VHOSTS[@]} == ${#BACKENDS[@]})) \
        || fail "--vhosts has ${#VHOSTS[@]} values but --backends has ${#BACKENDS[@]} addresses"
    local vhosts
    for vhosts in "${VHOSTS[@]}"; do
        [[ "$vhosts" =~ ^[0-9]+$ ]] && ((10#$vhosts <= 10000)) \
            || fail "invalid vhost count '$vhosts' in --vhosts: expected a number from 0 to 10000"
    done

    STATE=$(absolute_path "$STATE")
    [[ "$STATE" != / ]] || fail "--state must not be /"
}

check_state_folder() {
    if [[ -e "$STATE" && ! -d "$STATE" ]]; then
        fail "--state $STATE exists and is not a folder"
    fi
    if [[ -d "$STATE" && -n "$(ls -A "$STATE")" && ! -f "$STATE/$STATE_MARKER" ]]; then
        fail "$STATE is not empty and was not created by this script; choose another --state"
    fi
    local running
    running=$(list_running_recorded "$STATE")
    if [[ -n "$running" ]]; then
        fail "a director from $STATE is already running (PID NAME: $(echo "$running" | tr '\n' ' '))." \
            "Stop it first: $SCRIPT_DIR/stop-director.sh --state $STATE"
    fi
}

write_director_config() {
    local config=$STATE/director.conf
    cat >"$config" <<EOF
# Dovecot 2.3 director of the Mailpin examples on $DIRECTOR_IP.
# Written by examples/dovecot-director/start-director.sh on every start; edits are overwritten.
instance_name = mailpin-director-${DIRECTOR_IP//./-}
base_dir = $STATE/run
state_dir = $STATE/lib
listen = $DIRECTOR_IP
protocols = imap pop3 lmtp sieve
ssl = no
log_path = $STATE/director.log
verbose_proctitle = yes

# Loopback only: plaintext logins without TLS are acceptable here.
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_verbose = yes
login_trusted_networks = 127.0.0.0/8
# Proxied connections leave from this address instead of 127.0.0.1, so the backends
# log it as real_rip.
login_source_ips = $DIRECTOR_IP

director_servers = $DIRECTOR_IP:$RING_PORT
director_mail_servers = ${BACKENDS[*]}
director_username_hash = %Lu
director_user_expire = 15 min

# Every login is proxied, and the director adds host=. The backends check passwords.
# The LMTP proxy ignores login_source_ips, so source_ip= sets its outgoing address.
passdb {
  driver = static
  args = proxy=y nopassword=y source_ip=$DIRECTOR_IP
}

service director {
  # Both default to mode 0, which means "not created", and logins then hang.
  unix_listener login/director {
    mode = 0666
  }
  fifo_listener login/proxy-notify {
    mode = 0600
    user = \$default_login_user
  }
  unix_listener director-userdb {
    mode = 0600
  }
  inet_listener {
    address = $DIRECTOR_IP
    port = $RING_PORT
  }
}

service imap-login {
  executable = imap-login director
  inet_listener imap {
    port = 143
  }
  inet_listener imaps {
    port = 0
  }
}
service pop3-login {
  executable = pop3-login director
  inet_listener pop3 {
    port = 110
  }
  inet_listener pop3s {
    port = 0
  }
}
service managesieve-login {
  executable = managesieve-login director
  inet_listener sieve {
    port = 4190
  }
}
service lmtp {
  inet_listener lmtp {
    port = 24
  }
}

lmtp_proxy = yes
protocol lmtp {
  auth_socket_path = director-userdb
}
EOF
    doveconf -c "$config" -n >/dev/null 2>"$STATE/doveconf-errors" \
        || fail "Dovecot rejects $config: $(cat "$STATE/doveconf-errors")"
    rm -f "$STATE/doveconf-errors"
}

start_director() {
    local config=$STATE/director.conf pid
    # The master keeps the caller's stdout and stderr open unless they are redirected.
    setsid dovecot -F -c "$config" </dev/null >>"$STATE/director.stderr.log" 2>&1 &
    pid=$!
    record_pid "$STATE" "$pid" director dovecot
    if ! wait_for_tcp "$DIRECTOR_IP" 143 15; then
        fail "the director did not accept connections on $DIRECTOR_IP:143 within 15 s; see $STATE/director.log"
    fi
    log "started Dovecot's director on $DIRECTOR_IP (PID $pid)"
}

# Sets each backend's vhost count. "director add" also updates a backend that
# director_mail_servers already added.
set_vhosts() {
    local config=$STATE/director.conf i deadline
    deadline=$((SECONDS + 15))
    until doveadm -c "$config" director status >/dev/null 2>&1; do
        ((SECONDS < deadline)) || fail "doveadm -c $config director status failed for 15 s; see $STATE/director.log"
        sleep 0.3
    done
    for i in "${!BACKENDS[@]}"; do
        doveadm -c "$config" director add "${BACKENDS[$i]}" "${VHOSTS[$i]}" \
            || fail "doveadm director add ${BACKENDS[$i]} ${VHOSTS[$i]} failed"
    done
}

# Waits until "director status" lists every backend with the requested vhost count.
verify_vhosts() {
    local config=$STATE/director.conf i status deadline
    deadline=$((SECONDS + 15))
    while true; do
        status=$(doveadm -c "$config" director status 2>/dev/null || true)
        local missing=0
        for i in "${!BACKENDS[@]}"; do
            if ! awk -v ip="${BACKENDS[$i]}" -v vhosts="${VHOSTS[$i]}" \
                '$1 == ip && $2 == vhosts { found = 1 } END { exit !found }' <<<"$status"; then
                missing=1
            fi
        done
        ((missing == 0)) && break
        if ((SECONDS >= deadline)); then
            printf '%s\n' "$status" >&2
            fail "director status does not list every backend with its vhost count after 15 s"
        fi
        sleep 0.3
    done
    printf '%s\n' "$status" | sed 's/^/    /'
}

# Stops the director when startup fails after it was started.
stop_after_failure() {
    local status=$?
    if ((status != 0)) && [[ -s "$STATE/pids" ]]; then
        warn "startup failed; stopping the director."
        "$SCRIPT_DIR/stop-director.sh" --state "$STATE" >&2 || true
    fi
}

main() {
    parse_arguments "$@"
    require_root
    "$EXAMPLES_DIR/install-deps.sh" --check >/dev/null || "$EXAMPLES_DIR/install-deps.sh"
    check_state_folder
    check_listen_addresses "$DIRECTOR_IP:143" "$DIRECTOR_IP:110" "$DIRECTOR_IP:24" \
        "$DIRECTOR_IP:4190" "$DIRECTOR_IP:$RING_PORT" \
        || fail "cannot start: the addresses above are taken. Nothing was started."

    mkdir -p "$STATE/run" "$STATE/lib"
    touch "$STATE/$STATE_MARKER"
    rm -f "$STATE/pids"
    write_director_config
    trap stop_after_failure EXIT
    start_director
    set_vhosts
    log "backends and vhost counts (doveadm director status):"
    verify_vhosts
    trap - EXIT

    cat <<EOF

Dovecot's director runs on $DIRECTOR_IP: IMAP 143, POP3 110, LMTP 24, ManageSieve 4190, ring $RING_PORT.
  Config: $STATE/director.conf    Log: $STATE/director.log

  Which backend serves a user (prints Current:, Hashed: and Initial config:):
    doveadm -c $STATE/director.conf director status USER
  Change a backend's vhost count, take it out, move its users:
    doveadm -c $STATE/director.conf director update IP VHOSTS
    doveadm -c $STATE/director.conf director down IP
    doveadm -c $STATE/director.conf director flush IP
  Log in through the director:
    python3 $EXAMPLES_DIR/seed-topology/imap-check.py $DIRECTOR_IP USER PASSWORD

  Stop: $SCRIPT_DIR/stop-director.sh --state $STATE
EOF
}

main "$@"
