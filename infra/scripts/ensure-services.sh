#!/usr/bin/env bash
# Make sure the services the tests need are installed and running on this machine:
#   Redis on 127.0.0.1:6379, PostgreSQL on 127.0.0.1:5432 (role postgres, trust auth),
#   the pgvector extension files for that server, Chromium and promtool (binaries only).
# Silent and fast when everything is already there; installs (apt) and starts what is
# missing otherwise. Installing needs root (or passwordless sudo).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REDIS_HOST=127.0.0.1
REDIS_PORT=6379
PG_HOST=127.0.0.1
PG_PORT=5432
PG_CLUSTER=main
PG_TEST_URL="postgres://postgres@${PG_HOST}:${PG_PORT}/postgres"
WAIT_SECONDS=60

log() { printf '[ensure-services] %s\n' "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}

SUDO=()
if [[ $EUID -ne 0 ]]; then
	if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
		SUDO=(sudo -n)
	fi
fi
as_root() {
	if [[ $EUID -ne 0 && ${#SUDO[@]} -eq 0 ]]; then
		die "need root to run: $* (run as root or with passwordless sudo)"
	fi
	"${SUDO[@]}" "$@"
}

APT_UPDATED="${SB_APT_UPDATED:-0}"
apt_install() {
	command -v apt-get >/dev/null 2>&1 || die "apt-get not found; install $* by hand"
	if [[ "$APT_UPDATED" != 1 ]]; then
		log "apt-get update"
		as_root env DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=300 update >/dev/null
		APT_UPDATED=1
	fi
	log "apt-get install $*"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=300 \
		--no-install-recommends "$@" >/dev/null
}

# wait_until <seconds> <description> <command...>: poll until the command succeeds
wait_until() {
	local seconds="$1" what="$2" i
	shift 2
	for ((i = 0; i < seconds * 4; i++)); do
		if "$@"; then return 0; fi
		sleep 0.25
	done
	die "$what did not come up within ${seconds}s"
}

# ---------------------------------------------------------------------------------------
# Redis
# ---------------------------------------------------------------------------------------
redis_ok() {
	if command -v redis-cli >/dev/null 2>&1; then
		[[ "$(redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping 2>/dev/null)" == PONG ]]
	else
		# no client installed: speak RESP over bash's /dev/tcp (in a subshell, so a refused
		# connection cannot end this script)
		local reply
		reply="$( (
			exec 3<>"/dev/tcp/$REDIS_HOST/$REDIS_PORT" || exit 1
			printf 'PING\r\n' >&3
			IFS= read -r -t 2 line <&3 && printf '%s' "$line"
		) 2>/dev/null || true)"
		[[ "$reply" == +PONG* ]]
	fi
}

ensure_redis() {
	redis_ok && return 0
	if ! command -v redis-server >/dev/null 2>&1; then
		apt_install redis-server
		# the package's postinst may already have started it
		if redis_ok; then
			log "redis is up"
			return 0
		fi
	fi
	log "starting redis-server on ${REDIS_HOST}:${REDIS_PORT}"
	as_root mkdir -p /var/lib/redis /var/log/redis
	as_root redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" \
		--save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log >/dev/null
	wait_until "$WAIT_SECONDS" "redis" redis_ok
	log "redis is up"
}

# ---------------------------------------------------------------------------------------
# PostgreSQL
# ---------------------------------------------------------------------------------------
pg_ready() {
	command -v pg_isready >/dev/null 2>&1 && pg_isready -q -h "$PG_HOST" -p "$PG_PORT" >/dev/null 2>&1
}

pg_role_ok() {
	PGCONNECT_TIMEOUT=5 psql -w "$PG_TEST_URL" -XtAqc 'SELECT 1' >/dev/null 2>&1
}

# highest PostgreSQL server major installed under /usr/lib/postgresql (empty if none)
pg_server_major() {
	local bin major="" v
	for bin in /usr/lib/postgresql/*/bin/postgres; do
		[[ -x "$bin" ]] || continue
		v="${bin#/usr/lib/postgresql/}"
		v="${v%%/*}"
		if [[ -z "$major" ]] || ((v > major)); then major="$v"; fi
	done
	printf '%s' "$major"
}

# highest version under /etc/postgresql that has our cluster (empty if none)
pg_cluster_version() {
	local d v best=""
	for d in /etc/postgresql/*/"$PG_CLUSTER"; do
		[[ -d "$d" ]] || continue
		v="${d#/etc/postgresql/}"
		v="${v%%/*}"
		if [[ -z "$best" ]] || ((v > best)); then best="$v"; fi
	done
	printf '%s' "$best"
}

# put trust rules for local socket and loopback TCP at the top of pg_hba.conf (first match
# wins); sets PG_HBA_CHANGED=1 when the file was changed
PG_HBA_CHANGED=0
pg_trust_local() {
	local hba="/etc/postgresql/$1/$PG_CLUSTER/pg_hba.conf" marker="# session-buddy tests: trust local connections"
	local tmp
	as_root test -f "$hba" || return 0
	as_root grep -qF "$marker" "$hba" && return 0
	log "setting trust auth for local connections in $hba"
	tmp="$(mktemp)"
	{
		printf '%s\n' "$marker"
		printf 'local   all   all                  trust\n'
		printf 'host    all   all   127.0.0.1/32   trust\n'
		printf 'host    all   all   ::1/128        trust\n\n'
	} >"$tmp"
	as_root cat "$hba" >>"$tmp"
	as_root cp "$tmp" "$hba"
	rm -f "$tmp"
	PG_HBA_CHANGED=1
}

pg_reload() {
	as_root pg_ctlcluster --skip-systemctl-redirect "$1" "$PG_CLUSTER" reload >/dev/null
}

ensure_postgres() {
	local ver major
	if ! pg_ready; then
		major="$(pg_server_major)"
		if [[ -z "$major" ]] || ! command -v pg_isready >/dev/null 2>&1; then
			apt_install postgresql
			major="$(pg_server_major)"
			[[ -n "$major" ]] || die "postgresql installed but no server found under /usr/lib/postgresql"
		fi
		ver="$(pg_cluster_version)"
		if [[ -z "$ver" ]]; then
			log "creating PostgreSQL $major cluster '$PG_CLUSTER' on port $PG_PORT"
			as_root pg_createcluster -p "$PG_PORT" "$major" "$PG_CLUSTER" >/dev/null
			ver="$major"
		fi
		pg_trust_local "$ver"
		if pg_ready; then
			# started meanwhile (e.g. by the package's postinst): apply the new pg_hba.conf
			if [[ $PG_HBA_CHANGED == 1 ]]; then pg_reload "$ver"; fi
		else
			log "starting PostgreSQL $ver/$PG_CLUSTER"
			as_root pg_ctlcluster --skip-systemctl-redirect "$ver" "$PG_CLUSTER" start ||
				pg_ready || die "pg_ctlcluster $ver $PG_CLUSTER start failed"
			wait_until "$WAIT_SECONDS" "postgresql" pg_ready
		fi
		log "postgresql is up"
	fi

	# the tests connect as postgres@127.0.0.1 without a password
	if ! pg_role_ok; then
		ver="$(pg_cluster_version)"
		[[ -n "$ver" ]] || die "cannot connect to $PG_TEST_URL and there is no local cluster to fix"
		pg_trust_local "$ver"
		pg_reload "$ver"
		wait_until 15 "a connection to $PG_TEST_URL (is the 'postgres' role there?)" pg_role_ok
	fi
}

# ---------------------------------------------------------------------------------------
# pgvector
# ---------------------------------------------------------------------------------------
ensure_pgvector() {
	# exits at once when the extension files are already installed
	if [[ $EUID -eq 0 || ${#SUDO[@]} -eq 0 ]]; then
		SB_APT_UPDATED="$APT_UPDATED" bash "$HERE/install-pgvector.sh"
	else
		"${SUDO[@]}" env SB_APT_UPDATED="$APT_UPDATED" bash "$HERE/install-pgvector.sh"
	fi
}

# ---------------------------------------------------------------------------------------
# Chromium: the headless browser tests/e2e/admin-page.test.ts drives with playwright-core
# (it launches /usr/bin/chromium, Debian's package)
# ---------------------------------------------------------------------------------------
ensure_chromium() {
	command -v chromium >/dev/null 2>&1 || apt_install chromium
}

# ---------------------------------------------------------------------------------------
# promtool: checks and unit-tests infra/prometheus/alerts.yml (tests/unit/prometheus-rules.test.ts). Debian ships it
# in the prometheus package, with the server binary that tests/integration/prometheus-scrape.standard.test.ts starts
# itself on a free loopback port (the package's own service is not started).
# ---------------------------------------------------------------------------------------
ensure_promtool() {
	{ command -v promtool && command -v prometheus; } >/dev/null 2>&1 || apt_install prometheus
}

ensure_redis
ensure_postgres
ensure_pgvector
ensure_chromium
ensure_promtool
