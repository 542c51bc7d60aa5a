#!/usr/bin/env bash
# Install the pgvector extension into the local PostgreSQL server, built from source.
#
# Debian 12 has no pgvector package, so we build pgvector 0.8.0 from Debian's `pgvector`
# source package (trixie suite) against postgresql-server-dev-<major>. /etc/apt is left
# untouched: the trixie deb-src entry lives in a private folder used only for this download.
#
# Idempotent: exits at once when vector.control is already installed.
# Env: PG_CONFIG (path to the server's pg_config) overrides auto-detection.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

PGVECTOR_SUITE=trixie
PGVECTOR_PACKAGE=pgvector

log() { printf '[install-pgvector] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# --- locate the server's pg_config ------------------------------------------------------
find_pg_config() {
	if [[ -n "${PG_CONFIG:-}" ]]; then
		printf '%s\n' "$PG_CONFIG"
		return
	fi
	local major="" dir
	# highest installed server major (a directory holding the postgres binary)
	for dir in /usr/lib/postgresql/*/bin/postgres; do
		[[ -x "$dir" ]] || continue
		dir="${dir#/usr/lib/postgresql/}"
		dir="${dir%%/*}"
		if [[ -z "$major" ]] || ((dir > major)); then major="$dir"; fi
	done
	[[ -n "$major" ]] || die "no PostgreSQL server found under /usr/lib/postgresql (install postgresql first)"
	printf '/usr/lib/postgresql/%s/bin/pg_config\n' "$major"
}

PG_CONFIG="$(find_pg_config)"
[[ -x "$PG_CONFIG" ]] || die "pg_config not found at $PG_CONFIG"
SHAREDIR="$("$PG_CONFIG" --sharedir)"
if [[ -f "$SHAREDIR/extension/vector.control" ]]; then
	exit 0
fi

PG_MAJOR="$("$PG_CONFIG" --version | sed -E 's/^PostgreSQL ([0-9]+).*/\1/')"
[[ "$PG_MAJOR" =~ ^[0-9]+$ ]] || die "cannot parse PostgreSQL major from: $("$PG_CONFIG" --version)"
[[ $EUID -eq 0 ]] || die "must run as root to install packages and the extension"
log "pgvector not installed for PostgreSQL $PG_MAJOR ($SHAREDIR); building from Debian source ($PGVECTOR_SUITE)"
start_ts=$SECONDS

# --- build dependencies -----------------------------------------------------------------
apt_updated="${SB_APT_UPDATED:-0}"
apt_install() {
	# try with the current lists first; refresh them once if that fails (stale or empty lists)
	if [[ "$apt_updated" != 1 ]] &&
		! apt-get install -y -q --no-install-recommends "$@" >/dev/null 2>&1; then
		log "apt-get update"
		apt-get update -q >/dev/null
		apt_updated=1
		export SB_APT_UPDATED=1
	fi
	apt-get install -y -q --no-install-recommends "$@" >/dev/null
}

need=()
[[ -f "/usr/include/postgresql/$PG_MAJOR/server/postgres.h" ]] || need+=("postgresql-server-dev-$PG_MAJOR")
command -v make >/dev/null 2>&1 || need+=(make)
command -v gcc >/dev/null 2>&1 || need+=(gcc)
command -v tar >/dev/null 2>&1 || need+=(tar)
if ((${#need[@]})); then
	log "installing ${need[*]}"
	apt_install "${need[@]}"
fi

# --- private deb-src entry for the trixie pgvector source package -----------------------
SYSTEM_SOURCES=/etc/apt/sources.list.d/debian.sources
uris=""
keyring=""
if [[ -r "$SYSTEM_SOURCES" ]]; then
	# the main archive's URIs (not debian-security) and its keyring
	uris="$(sed -nE '/^URIs:.*security/d; s/^URIs:[[:space:]]*//p' "$SYSTEM_SOURCES" | head -n1)"
	keyring="$(sed -nE 's/^Signed-By:[[:space:]]*//p' "$SYSTEM_SOURCES" | head -n1)"
fi
uris="${uris:-http://deb.debian.org/debian}"
keyring="${keyring:-/usr/share/keyrings/debian-archive-keyring.gpg}"

work="$(mktemp -d /tmp/install-pgvector.XXXXXX)"
cleanup() { rm -rf "$work"; }
trap cleanup EXIT
chmod 755 "$work" # apt downloads as the _apt sandbox user
mkdir -p "$work/sources.list.d" "$work/lists/partial" "$work/cache/archives/partial" "$work/src"
cat >"$work/sources.list.d/pgvector-src.sources" <<EOF
Types: deb-src
URIs: $uris
Suites: $PGVECTOR_SUITE
Components: main
Signed-By: $keyring
EOF
if id _apt >/dev/null 2>&1; then chown -R _apt "$work/lists" "$work/src" 2>/dev/null || true; fi

apt_private=(
	-o Dir::Etc::sourcelist=/dev/null
	-o "Dir::Etc::sourceparts=$work/sources.list.d"
	-o "Dir::State::Lists=$work/lists"
	-o "Dir::Cache=$work/cache"
	-o Dir::Cache::pkgcache=
	-o Dir::Cache::srcpkgcache=
)
log "fetching $PGVECTOR_PACKAGE source ($PGVECTOR_SUITE) from $uris"
apt-get "${apt_private[@]}" -q update >/dev/null
(cd "$work/src" && apt-get "${apt_private[@]}" -q source --download-only "$PGVECTOR_PACKAGE" >/dev/null)

orig="$(find "$work/src" -maxdepth 1 -name "${PGVECTOR_PACKAGE}_*.orig.tar.*" | head -n1)"
[[ -n "$orig" ]] || die "no ${PGVECTOR_PACKAGE}_*.orig.tar.* downloaded"
log "building $(basename "$orig")"
mkdir -p "$work/build"
tar -xf "$orig" -C "$work/build"
srcdir="$(find "$work/build" -mindepth 1 -maxdepth 1 -type d | head -n1)"
[[ -f "$srcdir/vector.control" ]] || die "unexpected source layout in $orig"

# OPTFLAGS="" avoids -march=native so the build runs on any CPU of the architecture
jobs="$(nproc 2>/dev/null || echo 1)"
if ! make -C "$srcdir" -j"$jobs" OPTFLAGS="" PG_CONFIG="$PG_CONFIG" >"$work/build.log" 2>&1 ||
	! make -C "$srcdir" OPTFLAGS="" PG_CONFIG="$PG_CONFIG" install >>"$work/build.log" 2>&1; then
	tail -n 40 "$work/build.log" >&2
	die "pgvector build failed"
fi

[[ -f "$SHAREDIR/extension/vector.control" ]] || die "vector.control missing after make install"
log "installed pgvector $(awk -F"'" '/default_version/ {print $2}' "$SHAREDIR/extension/vector.control") in $((SECONDS - start_ts)) s"
