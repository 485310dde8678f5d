# Shell functions shared by the example scripts. Source it from bash. It defines
# functions only and changes no shell options.
#
# A state directory lists the processes a script started in STATE/pids, one per line:
#   PID NAME KIND
# KIND selects how to stop it:
#   dovecot  a Dovecot master; stopped with "doveadm -c STATE/dovecot/NAME.conf stop"
#            (or STATE/NAME.conf for the director), then SIGTERM to the PID
#   group    a process started with setsid, so PID is also its process group id;
#            SIGTERM goes to the whole group, which includes PHP's worker processes
#            and any JVM a launcher script started

LOG_PREFIX=${LOG_PREFIX:-mailpin-example}

log() { printf '%s: %s\n' "$LOG_PREFIX" "$*"; }
warn() { printf '%s: warning: %s\n' "$LOG_PREFIX" "$*" >&2; }
fail() {
    printf '%s: error: %s\n' "$LOG_PREFIX" "$*" >&2
    exit 1
}

require_root() {
    if [[ $(id -u) -ne 0 ]]; then
        fail "this script must run as root: Dovecot binds ports below 1024 and switches" \
            "to the mail user. Run it with sudo."
    fi
}

# Prints the absolute form of PATH without requiring it to exist.
absolute_path() {
    realpath -m -- "$1"
}

# Appends "PID NAME KIND" to STATE/pids.
record_pid() {
    local state=$1 pid=$2 name=$3 kind=$4
    printf '%s %s %s\n' "$pid" "$name" "$kind" >>"$state/pids"
}

# Succeeds when PID is alive and its command line mentions the state directory, so a
# PID that the kernel reused for an unrelated process is never signalled.
is_recorded_process() {
    local pid=$1 state=$2
    [[ -r /proc/$pid/cmdline ]] || return 1
    # /proc/PID/cmdline is NUL-separated, and a zombie has an empty one.
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$state/"
}

# Prints "PID NAME" for each recorded process of STATE that still runs.
list_running_recorded() {
    local state=$1 pid name kind
    [[ -f "$state/pids" ]] || return 0
    while read -r pid name kind; do
        [[ "$pid" =~ ^[0-9]+$ ]] || continue
        if is_recorded_process "$pid" "$state"; then
            printf '%s %s\n' "$pid" "$name"
        fi
    done <"$state/pids"
}

# Waits up to SECONDS for PID to exit. With KIND "group" it waits for every process
# in the process group PID. Fails if something still runs afterwards.
wait_for_exit() {
    local pid=$1 seconds=$2 kind=${3:-process} deadline
    deadline=$((SECONDS + seconds))
    while true; do
        if [[ "$kind" == group ]]; then
            is_group_alive "$pid" || return 0
        else
            is_alive "$pid" || return 0
        fi
        ((SECONDS < deadline)) || return 1
        sleep 0.2
    done
}

# Succeeds while PID exists and is not a zombie.
is_alive() {
    local state
    state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
    [[ -n "$state" && "$state" != Z ]]
}

# Succeeds while a process of process group PGID exists and is not a zombie.
is_group_alive() {
    ps -o stat= -g "$1" 2>/dev/null | grep -qv '^Z'
}

# Stops every process recorded in STATE/pids, newest first, and removes the file.
# DOVECOT_CONFIG_DIR is the folder that contains NAME.conf for each Dovecot master.
# Returns 1 if a process was still running after SIGKILL.
stop_recorded_processes() {
    local state=$1 dovecot_config_dir=$2
    local line pid name kind config failures=0
    [[ -f "$state/pids" ]] || {
        log "nothing to stop: $state/pids does not exist."
        return 0
    }
    local -a lines
    mapfile -t lines < <(tac "$state/pids")
    for line in "${lines[@]}"; do
        read -r pid name kind <<<"$line"
        [[ "$pid" =~ ^[0-9]+$ ]] || continue
        if ! is_recorded_process "$pid" "$state"; then
            log "$name (PID $pid) is not running."
            continue
        fi
        case "$kind" in
            dovecot)
                config=$dovecot_config_dir/$name.conf
                if ! doveadm -c "$config" stop >/dev/null 2>&1; then
                    log "doveadm -c $config stop failed; sending SIGTERM to $name (PID $pid)."
                    kill -TERM "$pid" 2>/dev/null || true
                fi
                ;;
            group)
                kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
                ;;
            *)
                kill -TERM "$pid" 2>/dev/null || true
                ;;
        esac
        if wait_for_exit "$pid" 15 "$kind"; then
            log "stopped $name (PID $pid)."
            continue
        fi
        warn "$name (PID $pid) still runs 15 s after SIGTERM; sending SIGKILL."
        if [[ "$kind" == group ]]; then
            kill -KILL -- "-$pid" 2>/dev/null || true
        else
            kill -KILL "$pid" 2>/dev/null || true
        fi
        if wait_for_exit "$pid" 5 "$kind"; then
            log "killed $name (PID $pid)."
        else
            warn "failed to stop $name (PID $pid)."
            failures=$((failures + 1))
        fi
    done
    if ((failures > 0)); then
        return 1
    fi
    rm -f "$state/pids"
    return 0
}

# Checks that each ADDRESS:PORT can be bound for listening. For each one that
# cannot, prints the reason, the listener bound to it (from ss) and a likely
# cause. Returns 1 if any address is unusable.
check_listen_addresses() {
    local problems
    problems=$(python3 - "$@" <<'PYTHON'
import errno, socket, sys
for spec in sys.argv[1:]:
    host, port = spec.rsplit(":", 1)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # Dovecot and PHP set SO_REUSEADDR too. With it, Linux rejects the bind only
    # for a listening socket, not for connections of an earlier run in TIME_WAIT.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, int(port)))
    except OSError as error:
        reason = {errno.EADDRINUSE: "in-use", errno.EADDRNOTAVAIL: "not-available"}.get(
            error.errno, "error")
        print(spec, reason, error.strerror)
    finally:
        sock.close()
PYTHON
    )
    [[ -z "$problems" ]] && return 0

    local spec reason detail port holders
    while read -r spec reason detail; do
        port=${spec##*:}
        case "$reason" in
            in-use)
                printf '%s: error: %s is already in use.\n' "$LOG_PREFIX" "$spec" >&2
                # Listeners on this exact address or on a wildcard address.
                holders=$(ss -Hltnp "sport = :$port" 2>/dev/null \
                    | awk -v exact="$spec" -v port="$port" \
                        '$4 == exact || $4 == "0.0.0.0:" port || $4 == "*:" port || $4 == "[::]:" port' \
                    || true)
                if [[ -n "$holders" ]]; then
                    printf '%s:   held by:\n' "$LOG_PREFIX" >&2
                    printf '%s\n' "$holders" | sed "s/^/$LOG_PREFIX:     /" >&2
                fi
                printf '%s:   likely cause: %s\n' "$LOG_PREFIX" "$(describe_port_owner "$port" "$holders")" >&2
                ;;
            not-available)
                printf '%s: error: cannot bind %s: %s. Linux normally routes all of 127.0.0.0/8 to the loopback interface; check "ip addr show lo".\n' \
                    "$LOG_PREFIX" "$spec" "$detail" >&2
                ;;
            *)
                printf '%s: error: cannot bind %s: %s\n' "$LOG_PREFIX" "$spec" "$detail" >&2
                ;;
        esac
    done <<<"$problems"
    return 1
}

# Prints a guess at what listens on PORT, from the ss output in HOLDERS.
describe_port_owner() {
    local port=$1 holders=$2
    if [[ "$holders" == *'"dovecot"'* ]]; then
        if [[ "$holders" == *"*:$port "* || "$holders" == *"0.0.0.0:$port "* || "$holders" == *"[::]:$port "* ]]; then
            echo "a Dovecot that listens on all addresses, usually the system one (/etc/dovecot)." \
                "If this machine does not need it, stop it with 'systemctl stop dovecot'" \
                "(and 'systemctl disable dovecot' to keep it from starting at boot)."
        else
            echo "another Dovecot instance, probably an earlier demo or director run. Stop it with its stop script."
        fi
        return
    fi
    case "$port" in
        143 | 110 | 24 | 4190)
            echo "another mail server (IMAP 143, POP3 110, LMTP 24, ManageSieve 4190) listens there."
            ;;
        808[0-9])
            echo "an earlier demo (php -S or the gateway) or another web server still runs."
            ;;
        9180)
            echo "the admin listener of an earlier gateway still runs."
            ;;
        *)
            echo "another program listens there; see the listeners above."
            ;;
    esac
}

# Waits up to SECONDS until HOST:PORT accepts TCP connections.
wait_for_tcp() {
    local host=$1 port=$2 seconds=$3
    python3 - "$host" "$port" "$seconds" <<'PYTHON'
import socket, sys, time
host, port, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
deadline = time.monotonic() + seconds
while True:
    try:
        socket.create_connection((host, port), timeout=1).close()
        sys.exit(0)
    except OSError:
        if time.monotonic() >= deadline:
            sys.exit(1)
        time.sleep(0.2)
PYTHON
}
