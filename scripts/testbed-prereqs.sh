#!/usr/bin/env bash
# Installs the Debian packages the testbed and the integration tests use, when any
# is missing. Idempotent: with everything present it only checks and says so. Not root: it says
# why it does nothing and exits 0 (the testbed tests then skip, or fail under CI=true).
set -euo pipefail

packages=(
    # What the tests install and drive on the hosts.
    etcd-server etcd-client nginx libnginx-mod-stream keepalived openssl curl
    # What a node needs (WorkerNode's host needs: kube-proxy, port-forward).
    conntrack ipset socat
    # The hosts: systemd as PID 1, sshd, D-Bus on demand (hostnamectl).
    systemd dbus openssh-server openssh-client
    # The testbed itself: ip, nsenter/unshare/setpriv/flock, capabilities and firewall tools
    # (nft: each testbed's own table keeps its hosts off the machine's other services).
    iptables nftables iproute2 util-linux libcap2-bin
)

# kubectl (the tool checks check kubeconfigs with it): the image's own, else Debian's.
command -v kubectl >/dev/null || packages+=(kubernetes-client)

installed=$(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${packages[@]}" 2>/dev/null || true)
missing=()
for package in "${packages[@]}"; do
    grep -qx "$package installed" <<<"$installed" || missing+=("$package")
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "testbed prerequisites: all ${#packages[@]} packages present"
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "testbed prerequisites: missing ${missing[*]}; not root, so not installing them (testbed tests will skip, or fail under CI=true)"
    exit 0
fi

echo "testbed prerequisites: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# Packages must not start their services on this machine (the testbed's hosts run them).
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy"
    chmod 755 "$policy"
    trap 'rm -f "$policy"' EXIT
fi
apt-get install -y -qq --no-install-recommends "${missing[@]}"
