#!/usr/bin/env bash
# Build FIt-SNE 1.2.1 (KlugerLab, https://github.com/KlugerLab/FIt-SNE) with
# -O3 -march=native into a cache folder, for bench/peers.sh rows 7 and 9.
# Not part of CI; nothing built here is committed.
#
#   bench/fitsne/build.sh [CACHE]      (default CACHE: bench/cache)
#
# Leaves CACHE/fitsne-1.2.1/bin/fast_tsne and the upstream Python wrapper
# CACHE/fitsne-1.2.1/fast_tsne.py (used as is, from there). The source comes
# from FITSNE_GIT (a git directory holding tag v1.2.1; default: the mirror
# /work/.mirror/KlugerLab+FIt-SNE/repo when present) or else from a shallow
# clone of GitHub. FFTW (Debian libfftw3-dev) is installed with apt-get when
# its header is missing.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cache=${1:-$here/cache}
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
dst=$cache/fitsne-1.2.1
if [ -x "$dst/bin/fast_tsne" ] && [ -f "$dst/fast_tsne.py" ]; then
	echo "$dst/bin/fast_tsne"
	exit 0
fi
if [ ! -f /usr/include/fftw3.h ]; then
	echo "build.sh: FFTW header missing, installing Debian libfftw3-dev" >&2
	if [ "$(id -u)" = 0 ]; then apt_get=(apt-get); else apt_get=(sudo apt-get); fi
	DEBIAN_FRONTEND=noninteractive "${apt_get[@]}" install -y libfftw3-dev >&2 ||
		{ "${apt_get[@]}" update >&2 && DEBIAN_FRONTEND=noninteractive "${apt_get[@]}" install -y libfftw3-dev >&2; }
fi
command -v g++ >/dev/null || { echo "build.sh: g++ is missing (Debian: apt-get install g++)" >&2; exit 1; }
rm -rf "$dst.tmp"
mkdir -p "$dst.tmp"
git_dir=${FITSNE_GIT:-/work/.mirror/KlugerLab+FIt-SNE/repo}
if [ -d "$git_dir" ] && git --git-dir="$git_dir" rev-parse -q --verify 'v1.2.1^{commit}' >/dev/null; then
	git --git-dir="$git_dir" archive v1.2.1 | tar -x -C "$dst.tmp"
else
	echo "build.sh: no FIt-SNE git directory at $git_dir, cloning v1.2.1 from GitHub" >&2
	git clone -q --depth 1 --branch v1.2.1 https://github.com/KlugerLab/FIt-SNE "$dst.tmp/src.git"
	(cd "$dst.tmp/src.git" && git archive HEAD) | tar -x -C "$dst.tmp"
	rm -rf "$dst.tmp/src.git"
fi
mkdir -p "$dst.tmp/bin"
(cd "$dst.tmp" && g++ -std=c++11 -O3 -march=native src/sptree.cpp src/tsne.cpp src/nbodyfft.cpp \
	-o bin/fast_tsne -pthread -lfftw3 -lm -Wno-address-of-packed-member)
rm -rf "$dst"
mv "$dst.tmp" "$dst"
echo "$dst/bin/fast_tsne"
