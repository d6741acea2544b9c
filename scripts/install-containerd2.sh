#!/usr/bin/env bash
# Puts a containerd 2.x binary at /opt/kubeforge/containerd-2/usr/bin/containerd, only as the checker
# of the version-3 config kubeforge renders (tests/render/test_nodes.py): this Debian 12 host ships
# containerd 1.6. The binary comes from Debian forky's `containerd` package, fetched by apt with a
# private source list and state (the host's apt sources are untouched) and unpacked, not installed:
# nothing runs it as a daemon. Idempotent.
set -euo pipefail
dest=/opt/kubeforge/containerd-2
bin="$dest/usr/bin/containerd"
if [ -x "$bin" ] && "$bin" --version | grep -q ' 2\.'; then
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/parts" "$work/lists/partial" "$work/cache/archives/partial"
cat > "$work/parts/forky.sources" <<SOURCES
Types: deb
URIs: http://deb.debian.org/debian
Suites: forky
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
apt_opts=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$work/parts"
          -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache" -o Dir::State::status=/dev/null
          -o APT::Sandbox::User=root)
echo "== containerd 2 (checker only) from Debian forky"
apt-get "${apt_opts[@]}" update -q >/dev/null
(cd "$work" && apt-get "${apt_opts[@]}" download -q containerd >/dev/null)
rm -rf "$dest"
mkdir -p "$dest"
dpkg-deb -x "$work"/containerd_*.deb "$dest"
"$bin" --version | grep -q ' 2\.' || { echo "install-containerd2.sh: forky's containerd is not 2.x" >&2; exit 1; }
