# shellcheck shell=bash
# Shell functions shared by deploy/test-container.sh and deploy/local-images.sh (sourced,
# not run): podman set up as root on a Debian machine that reaches Debian's package
# mirror but no container registry.
#
#   podman_setup        installs podman, runc, netavark, aardvark-dns, iptables and
#                       debootstrap when missing, and points CONTAINERS_CONF at a
#                       containers.conf that works where podman's defaults do not (see
#                       below);
#   ensure_base_image   makes docker.io/library/debian:bookworm-slim with debootstrap
#                       unless podman has it already (the name deploy/Dockerfile uses, so
#                       `podman build --pull=never` finds it without a registry);
#   apt_install PKG...  installs Debian packages (apt-get update once).

export DEBIAN_FRONTEND=noninteractive

BASE_IMAGE=docker.io/library/debian:bookworm-slim

APT_UPDATED=${APT_UPDATED:-0}
apt_install() {
    if [[ "$APT_UPDATED" -eq 0 ]]; then
        apt-get update -qq
        APT_UPDATED=1
    fi
    echo "    installing: $*"
    apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

require_root() {
    if [[ "$(id -u)" -ne 0 ]]; then
        echo "$1 must run as root (rootful podman; debootstrap)" >&2
        exit 1
    fi
}

# The host's hard limit for `ulimit -H$1`, as podman's ulimit syntax wants it.
host_hard_limit() {
    local limit
    limit=$(ulimit -H"$1")
    if [[ "$limit" == "unlimited" ]]; then
        echo -1
    else
        echo "$limit"
    fi
}

# Writes a containers.conf for this machine and exports CONTAINERS_CONF, unless the caller
# set CONTAINERS_CONF already. Why each setting:
# - runc: crun refuses hosts whose cgroups are in hybrid mode;
# - default_ulimits: podman asks for nofile 1048576 and more processes than a host without
#   CAP_SYS_RESOURCE may grant, and then cannot start any container; the host's own hard
#   limits always work (nproc at most 32768 all the same);
# - cgroupfs and a file for events: no systemd needed.
podman_setup() {
    local packages=()
    command -v podman >/dev/null || packages+=(podman)
    command -v runc >/dev/null || packages+=(runc)
    [[ -x /usr/lib/podman/netavark ]] || packages+=(netavark)
    # Containers of one compose project find each other by name through aardvark-dns.
    [[ -x /usr/lib/podman/aardvark-dns ]] || packages+=(aardvark-dns)
    command -v iptables >/dev/null || packages+=(iptables)
    command -v debootstrap >/dev/null || packages+=(debootstrap)
    if ((${#packages[@]} > 0)); then
        apt_install "${packages[@]}"
    fi
    if [[ -z "${CONTAINERS_CONF:-}" ]]; then
        local nofile nproc
        nofile=$(host_hard_limit n)
        nproc=$(host_hard_limit u)
        if [[ "$nproc" == -1 ]] || ((nproc > 32768)); then
            nproc=32768
        fi
        export CONTAINERS_CONF=/var/tmp/hatchery-containers.conf
        cat >"${CONTAINERS_CONF}.new" <<EOF
# Written by Hatchery's deploy/podman-lib.sh; podman reads it when CONTAINERS_CONF names it.
[containers]
default_ulimits = ["nofile=${nofile}:${nofile}", "nproc=${nproc}:${nproc}"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"

[network]
network_backend = "netavark"
EOF
        mv "${CONTAINERS_CONF}.new" "$CONTAINERS_CONF"
    fi
    echo "    $(podman --version), CONTAINERS_CONF=${CONTAINERS_CONF}"
}

# The Debian mirror this machine's apt uses (deb822 or one-line format).
debian_mirror() {
    local mirror=""
    if [[ -f /etc/apt/sources.list.d/debian.sources ]]; then
        mirror=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources)
    fi
    if [[ -z "$mirror" && -f /etc/apt/sources.list ]]; then
        mirror=$(awk '$1 == "deb" && $2 !~ /security/ { print $2; exit }' /etc/apt/sources.list)
    fi
    echo "${mirror:-http://deb.debian.org/debian}"
}

# Builds $BASE_IMAGE from Debian packages unless podman has it: a minimal bookworm, like
# the official slim image (bash, coreutils, apt, useradd), without documentation or apt
# lists. About two minutes, once; later runs reuse it.
ensure_base_image() {
    if podman image exists "$BASE_IMAGE"; then
        echo "    ${BASE_IMAGE}: present"
        return
    fi
    local mirror rootfs
    mirror=$(debian_mirror)
    rootfs=$(mktemp -d /var/tmp/hatchery-rootfs.XXXXXX)
    echo "    ${BASE_IMAGE}: debootstrap bookworm from ${mirror}"
    if ! debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"${rootfs}.log" 2>&1; then
        tail -n 20 "${rootfs}.log" >&2
        rm -rf "$rootfs" "${rootfs}.log"
        echo "debootstrap failed" >&2
        return 1
    fi
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* \
        "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/*
    tar -C "$rootfs" -c . | podman import --change 'CMD ["bash"]' - "$BASE_IMAGE" >/dev/null
    rm -rf "$rootfs" "${rootfs}.log"
}
