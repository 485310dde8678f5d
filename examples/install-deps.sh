#!/bin/bash
# Installs the Debian 12 packages that the Mailpin examples and integration tests need:
# Dovecot 2.3, Roundcube 1.6 with SQLite, PHP, PHPUnit, Chromium with its WebDriver,
# python3, curl, and iptables for the split-cluster test.
#
# Usage: install-deps.sh           install what is missing (as root)
#        install-deps.sh --check   exit 0 if everything is installed, 1 if not (any user)
#
# Running it again is safe: it calls apt-get only when a package is missing.
# During the install a temporary /usr/sbin/policy-rc.d stops the packages' maintainer
# scripts from starting services, because a system Dovecot on *:143 would take the
# loopback addresses that the examples use. An existing policy-rc.d is restored
# byte for byte afterwards.
set -euo pipefail

PACKAGES=(
    dovecot-core dovecot-imapd dovecot-pop3d dovecot-lmtpd dovecot-managesieved dovecot-sieve
    dovecot-submissiond
    roundcube-core roundcube-sqlite3 roundcube-plugins
    php-cli php-sqlite3 php-mbstring php-xml php-intl phpunit
    sqlite3 chromium chromium-driver python3 curl iptables
)
POLICY_FILE=/usr/sbin/policy-rc.d

log() { printf 'install-deps: %s\n' "$*"; }
fail() { printf 'install-deps: error: %s\n' "$*" >&2; exit 1; }

# Prints the packages from PACKAGES that dpkg does not report as installed.
list_missing_packages() {
    local package status
    for package in "${PACKAGES[@]}"; do
        status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
        if [[ "$status" != "install ok installed" ]]; then
            printf '%s\n' "$package"
        fi
    done
}

# Prints the PIDs of running dovecot master processes that use the system
# configuration /etc/dovecot/dovecot.conf, given with "-c" or by default.
list_system_dovecot_pids() {
    local proc_dir exe config
    local -a arguments
    for proc_dir in /proc/[0-9]*; do
        exe=$(readlink "$proc_dir/exe" 2>/dev/null || true)
        [[ "$exe" == /usr/sbin/dovecot ]] || continue
        # Arguments in /proc/PID/cmdline are NUL-separated.
        mapfile -d '' -t arguments <"$proc_dir/cmdline" 2>/dev/null || continue
        config=/etc/dovecot/dovecot.conf
        local i
        for ((i = 1; i < ${#arguments[@]}; i++)); do
            if [[ "${arguments[$i]}" == -c ]] && ((i + 1 < ${#arguments[@]})); then
                config=${arguments[$((i + 1))]}
            fi
        done
        if [[ "$config" == /etc/dovecot/dovecot.conf ]]; then
            printf '%s\n' "${proc_dir#/proc/}"
        fi
    done
}

# Warns loudly when the system Dovecot runs. It is left running on purpose:
# this script never stops services it did not start.
warn_if_system_dovecot_runs() {
    local pids
    pids=$(list_system_dovecot_pids | tr '\n' ' ')
    if [[ -n "${pids// /}" ]]; then
        cat >&2 <<EOF
install-deps: WARNING: ****************************************************************
install-deps: WARNING: the system Dovecot is running (PID ${pids% }).
install-deps: WARNING: It usually listens on *:143, *:110 and *:4190, which blocks
install-deps: WARNING: the loopback backends of the Mailpin examples.
install-deps: WARNING: This script does not stop it. If this machine does not need it,
install-deps: WARNING: stop it yourself:  systemctl stop dovecot; systemctl disable dovecot
install-deps: WARNING: ****************************************************************
EOF
        return 1
    fi
    if command -v systemctl >/dev/null 2>&1 \
        && [[ "$(systemctl is-enabled dovecot 2>/dev/null || true)" == enabled ]]; then
        log "note: dovecot.service is enabled, so the system Dovecot starts at the next boot" \
            "and will then hold port 143. Run 'systemctl disable dovecot' if you do not want it."
    fi
    return 0
}

main() {
    local check_only=false
    case "${1:-}" in
        "") ;;
        --check) check_only=true ;;
        -h | --help)
            sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        *) fail "unknown option '$1' (expected --check or nothing)" ;;
    esac

    local missing
    mapfile -t missing < <(list_missing_packages)

    if $check_only; then
        if ((${#missing[@]} > 0)); then
            log "missing packages: ${missing[*]}"
            exit 1
        fi
        exit 0
    fi

    if ((${#missing[@]} == 0)); then
        log "all ${#PACKAGES[@]} packages are already installed; nothing to do."
        warn_if_system_dovecot_runs || true
        exit 0
    fi

    [[ $(id -u) -eq 0 ]] || fail "installing packages needs root. Run: sudo $0"
    if ! grep -qs '^VERSION_CODENAME=bookworm' /etc/os-release; then
        log "warning: this script was written for Debian 12 (bookworm); package names may differ here."
    fi

    log "missing packages: ${missing[*]}"

    # Install a policy-rc.d that denies every service start (exit code 101), and
    # restore the previous state on any exit, including errors and Ctrl-C.
    # Globals, because the EXIT trap runs after main has returned.
    backup_dir=$(mktemp -d /tmp/mailpin-policy-rc.XXXXXX)
    had_policy=false
    if [[ -e "$POLICY_FILE" || -L "$POLICY_FILE" ]]; then
        cp -a "$POLICY_FILE" "$backup_dir/policy-rc.d"
        had_policy=true
    fi
    restore_policy() {
        if $had_policy; then
            cp -a "$backup_dir/policy-rc.d" "$POLICY_FILE"
            if cmp -s "$backup_dir/policy-rc.d" "$POLICY_FILE"; then
                log "restored the previous $POLICY_FILE."
            else
                printf 'install-deps: error: failed to restore %s; the original is in %s\n' \
                    "$POLICY_FILE" "$backup_dir/policy-rc.d" >&2
                return
            fi
        else
            rm -f "$POLICY_FILE"
            log "removed the temporary $POLICY_FILE."
        fi
        rm -rf "$backup_dir"
    }
    trap restore_policy EXIT
    printf '#!/bin/sh\n# Temporary, written by Mailpin install-deps.sh: deny service starts.\nexit 101\n' \
        >"$POLICY_FILE.mailpin-tmp"
    chmod 0755 "$POLICY_FILE.mailpin-tmp"
    mv -f "$POLICY_FILE.mailpin-tmp" "$POLICY_FILE"

    # Without this preseeded value roundcube-core asks which database to configure, and with
    # PostgreSQL installed dbconfig-common picks it and fails non-interactively.
    # The examples give every Roundcube instance its own db_dsnw instead.
    echo "roundcube-core roundcube/dbconfig-install boolean false" | debconf-set-selections

    export DEBIAN_FRONTEND=noninteractive
    log "running apt-get update"
    apt-get update
    log "running apt-get install --no-install-recommends ${missing[*]}"
    apt-get install -y --no-install-recommends "${missing[@]}"

    mapfile -t missing < <(list_missing_packages)
    if ((${#missing[@]} > 0)); then
        fail "apt-get finished but these packages are still not installed: ${missing[*]}"
    fi
    log "all ${#PACKAGES[@]} packages are installed."

    if ! warn_if_system_dovecot_runs; then
        log "the system Dovecot started although $POLICY_FILE denied service starts."
    fi
}

main "$@"
