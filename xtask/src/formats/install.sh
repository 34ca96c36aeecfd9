#!/bin/sh
# install.sh: installs one release of the binary named below. It takes the gnu build only when
# this host's glibc is at least the newest one `cargo xtask dist` verified that build's binary
# needs (from its ELF bytes), else the static musl build of the architecture. Every download is
# checked against the SHA-256 written into this script, and against the minisign signature
# when the release is signed and minisign is installed, before anything is installed.
# POSIX sh: runs under dash, bash and busybox ash. `cargo xtask dist` writes the release's data
# into the block below; the template is xtask/src/formats/install.sh.
set -eu

# >>> release data
NAME=''
BIN=''
VERSION=''
DEFAULT_BASE_URL=''
MINISIGN_PUBKEY=''
ARCHIVES=''
SMOKE_ARGS=''
SMOKE_EXPECT=''
# <<< release data

USAGE="usage: install.sh [--prefix DIR] [--base-url URL | --from DIR] [--require-signature] [--dry-run]

  --prefix DIR         install into DIR/bin and DIR/share (default: ~/.local, or /usr/local as root)
  --base-url URL       download the release's files from URL (default: its GitHub release)
  --from DIR           take the release's files from DIR instead of downloading them
  --require-signature  refuse to install unless the minisign signature is checked
  --dry-run            print which build would be installed and why, and stop"

say() { printf 'install.sh: %s\n' "$*"; }
die() {
    printf 'install.sh: error: %s\n' "$*" >&2
    exit 1
}
usage_error() {
    printf 'install.sh: error: %s\n%s\n' "$1" "$USAGE" >&2
    exit 2
}
have() { command -v "$1" >/dev/null 2>&1; }

# True when $1 looks like a version: digits separated by single dots.
is_version() {
    case $1 in
    '' | .* | *. | *..* | *[!0-9.]*) return 1 ;;
    *) return 0 ;;
    esac
}

# True when version $1 is at least $2, comparing each part as an integer (2.4 < 2.17).
version_at_least() {
    a=$1 b=$2
    while [ -n "$a$b" ]; do
        x=${a%%.*} y=${b%%.*}
        [ "${x:-0}" -gt "${y:-0}" ] && return 0
        [ "${x:-0}" -lt "${y:-0}" ] && return 1
        case $a in *.*) a=${a#*.} ;; *) a='' ;; esac
        case $b in *.*) b=${b#*.} ;; *) b='' ;; esac
    done
    return 0
}

# Sets host_glibc (empty when there is none: musl, busybox) and how it was found. getconf
# answers on glibc systems; the dynamic loader of the architecture answers where getconf is
# missing; a musl or busybox system has neither.
detect_glibc() {
    loader=$1
    host_glibc='' glibc_source=''
    v=$(getconf GNU_LIBC_VERSION 2>/dev/null) || v=''
    case $v in
    'glibc '*)
        v=${v#glibc }
        if is_version "$v"; then
            host_glibc=$v glibc_source='getconf GNU_LIBC_VERSION'
            return 0
        fi
        ;;
    esac
    if [ -n "$loader" ] && [ -x "$loader" ]; then
        v=$("$loader" --version 2>/dev/null | sed -n '1s/.* version \([0-9][0-9.]*[0-9]\).*/\1/p') || v=''
        if is_version "$v"; then
            host_glibc=$v glibc_source="$loader --version"
        fi
    fi
}

# Sets the gnu_* and musl_* fields of the builds for uname name $1, and the list of
# architectures there are builds for.
find_builds() {
    gnu_target='' musl_target='' arches=''
    while read -r target unames libc glibc loader archive archive_dir size sha256; do
        [ -n "$target" ] || continue
        case " $arches " in *" ${unames%%,*} "*) ;; *) arches="$arches ${unames%%,*}" ;; esac
        case ",$unames," in *",$1,"*) ;; *) continue ;; esac
        case $libc in
        gnu)
            gnu_target=$target gnu_glibc=$glibc gnu_loader=$loader
            gnu_archive=$archive gnu_dir=$archive_dir gnu_size=$size gnu_sha256=$sha256
            ;;
        musl) musl_target=$target musl_archive=$archive musl_dir=$archive_dir musl_size=$size musl_sha256=$sha256 ;;
        esac
    done <<EOF
$ARCHIVES
EOF
    arches=${arches# }
}

# Sets target, archive, archive_dir (the directory in it), size, sha256 and reason: the build
# for this host, or stops.
choose_build() {
    arch=$(uname -m)
    find_builds "$arch"
    if [ -z "$gnu_target$musl_target" ]; then
        die "no build of $NAME $VERSION for this machine's architecture \`$arch\` (uname -m): there are builds for ${arches:-none}"
    fi
    host_glibc='' glibc_source=''
    if [ -n "$gnu_target" ]; then
        detect_glibc "$gnu_loader"
        needs="glibc $gnu_glibc or later"
        [ "$gnu_glibc" != - ] || needs='a glibc, of any version'
        if [ -n "$host_glibc" ] && { [ "$gnu_glibc" = - ] || version_at_least "$host_glibc" "$gnu_glibc"; }; then
            target=$gnu_target archive=$gnu_archive archive_dir=$gnu_dir size=$gnu_size sha256=$gnu_sha256
            reason="this host has glibc $host_glibc ($glibc_source), and the gnu build needs $needs (verified from its binary)"
            return 0
        fi
        if [ -n "$host_glibc" ]; then
            found="this host has glibc $host_glibc ($glibc_source)"
        else
            found="this host has no glibc (neither getconf GNU_LIBC_VERSION nor $gnu_loader answers)"
        fi
        if [ -z "$musl_target" ]; then
            die "$NAME $VERSION for $arch needs $needs (its gnu build links against that), but $found, and there is no static musl build for $arch: install it on a distribution with $needs"
        fi
        reason="$found, and the gnu build needs $needs (verified from its binary): the static musl build runs anywhere"
    else
        reason="the static musl build is the only one for $arch"
    fi
    target=$musl_target archive=$musl_archive archive_dir=$musl_dir size=$musl_size sha256=$musl_sha256
}

# Copies release file $1 from --from DIR or downloads it from the base URL, to $2.
fetch() {
    if [ -n "$from" ]; then
        [ -f "$from/$1" ] || die "$from/$1 is missing: --from DIR must hold the release's files, as downloaded"
        cp "$from/$1" "$2"
    elif have curl; then
        curl --fail --silent --show-error --location --output "$2" "$base_url/$1" ||
            die "downloading $base_url/$1 failed (curl, above): check the network and --base-url, or pass --from DIR"
    elif have wget; then
        wget -q -O "$2" "$base_url/$1" ||
            die "downloading $base_url/$1 failed (wget, above): check the network and --base-url, or pass --from DIR"
    else
        die "neither curl nor wget is installed: install one, or download the release's files and pass --from DIR"
    fi
}

# Checks file $1 against the size and SHA-256 written into this script: SHA256SUMS is not read,
# since whoever can change the files on the server can change it too.
check_sha256() {
    found_size=$(wc -c <"$1")
    found_size=${found_size##* }
    if [ "$found_size" != "$size" ]; then
        die "$archive is $found_size bytes, expected $size: a truncated or changed download; nothing was installed"
    fi
    if have sha256sum; then
        sum_tool=sha256sum sum=$(sha256sum <"$1")
    elif have shasum; then
        sum_tool='shasum -a 256' sum=$(shasum -a 256 <"$1")
    elif have openssl; then
        sum_tool='openssl dgst -sha256' sum=$(openssl dgst -sha256 -r <"$1")
    else
        die "no SHA-256 tool: expected sha256sum, shasum or openssl; install one (coreutils, perl or openssl)"
    fi
    sum=${sum%% *}
    if [ "$sum" != "$sha256" ]; then
        die "$archive has SHA-256 $sum, expected $sha256 (written into this installer): a damaged or changed download; nothing was installed"
    fi
}

# Checks the minisign signature of file $1 when the release is signed, as far as this host can.
check_signature() {
    if [ -z "$MINISIGN_PUBKEY" ]; then
        [ "$require_signature" = false ] ||
            die "--require-signature: $NAME $VERSION is not signed (no minisign key in its Cargo.toml), so there is no signature to check"
        signature='none: the release is not signed'
        return 0
    fi
    if ! have minisign; then
        [ "$require_signature" = false ] ||
            die "--require-signature: minisign is not installed: install it (apt-get install minisign), or drop --require-signature"
        signature='not checked: minisign is not installed'
        return 0
    fi
    # A signed release without its signature is refused: deleting it must not skip the check.
    fetch "$archive.sig" "$1.sig"
    minisign -V -q -P "$MINISIGN_PUBKEY" -m "$1" -x "$1.sig" >&2 ||
        die "$archive.sig is not a valid signature of $archive by the release's key $MINISIGN_PUBKEY: nothing was installed"
    signature='checked with minisign'
}

# Prints "source destination" for each file of unpacked archive directory $1 that is installed:
# the binary last, so an interrupted install never leaves a new binary without its pages.
install_plan() {
    for file in "$1"/man/*; do
        [ -f "$file" ] || continue
        page=${file##*/}
        section=${page##*.}
        case $section in [1-9]) printf '%s\n' "$file	share/man/man$section/$page" ;; esac
    done
    for file in "$1"/completions/*; do
        [ -f "$file" ] || continue
        name=${file##*/}
        case $name in
        *.bash) printf '%s\n' "$file	share/bash-completion/completions/${name%.bash}" ;;
        *.fish) printf '%s\n' "$file	share/fish/vendor_completions.d/$name" ;;
        _*) printf '%s\n' "$file	share/zsh/site-functions/$name" ;;
        esac
    done
    printf '%s\n' "$1/$BIN	bin/$BIN"
}

cleanup() {
    [ -z "$stage" ] || [ -n "$keep_stage" ] || rm -rf "$stage"
    [ -z "$made_prefix" ] || rmdir "$prefix" 2>/dev/null || true
}

# Moves every file of the plan into place, or none: an existing file first goes to
# $stage/old, and on any failure what was moved is taken out and the old files put back.
install_all() {
    mkdir "$stage/old" || return 1
    n=0 moved=''
    while IFS=$tab read -r file dest; do
        n=$((n + 1))
        if [ -e "$prefix/$dest" ] || [ -L "$prefix/$dest" ]; then
            mv -f "$prefix/$dest" "$stage/old/$n" || { roll_back "$moved"; return 1; }
        fi
        moved="$n$tab$dest
$moved"
        mv -f "$file" "$prefix/$dest" || { roll_back "$moved"; return 1; }
    done <<EOF
$plan
EOF
}

# Undoes install_all's moves listed in $1 ("n<tab>dest" lines, the last move first).
roll_back() {
    while IFS=$tab read -r n dest; do
        [ -n "$n" ] || continue
        rm -f "$prefix/$dest"
        [ ! -e "$stage/old/$n" ] || mv -f "$stage/old/$n" "$prefix/$dest" || {
            say "could not put back $prefix/$dest: the old file is kept as $stage/old/$n"
            keep_stage=yes
        }
    done <<EOF
$1
EOF
}

prefix='' base_url='' from='' require_signature=false dry_run=false
while [ $# -gt 0 ]; do
    case $1 in
    --prefix | --base-url | --from)
        [ $# -ge 2 ] || usage_error "$1 needs a value"
        case $1 in
        --prefix) prefix=$2 ;;
        --base-url) base_url=${2%/} ;;
        --from) from=$2 ;;
        esac
        shift 2
        ;;
    --require-signature) require_signature=true && shift ;;
    --dry-run) dry_run=true && shift ;;
    -h | --help)
        printf '%s\n' "$USAGE"
        exit 0
        ;;
    *) usage_error "unexpected argument \`$1\`" ;;
    esac
done
[ -n "$VERSION" ] || die "this is the template of install.sh: \`cargo xtask dist\` writes the release's data into it"
[ -z "$from" ] || [ -z "$base_url" ] || usage_error "--from and --base-url exclude each other: pass one"
if [ -z "$prefix" ]; then
    if [ "$(id -u)" = 0 ]; then
        prefix=/usr/local
    else
        [ -n "${HOME:-}" ] || die "HOME is not set, so there is no default prefix: pass --prefix DIR"
        prefix=$HOME/.local
    fi
fi

choose_build
say "$NAME $VERSION: $target, because $reason"
if [ -n "$from" ]; then
    [ -d "$from" ] || die "--from $from is not a directory: expected the directory holding $archive"
    source=$from
else
    [ -n "$base_url" ] || base_url=$DEFAULT_BASE_URL
    [ -n "$base_url" ] || die "$NAME's Cargo.toml names no GitHub repository to download the release from: pass --base-url URL (where $archive is) or --from DIR"
    source=$base_url
fi
if [ "$dry_run" = true ]; then
    say "would install $archive from $source into $prefix (dry run: nothing downloaded or installed)"
    exit 0
fi

stage='' made_prefix='' keep_stage=''
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM
if [ ! -d "$prefix" ]; then
    mkdir -p "$prefix" || die "cannot create --prefix $prefix: choose another, or run as a user who may write there"
    made_prefix=yes
fi
# Staged on the prefix's file system, so that each file moves into place by a rename. A run
# killed with SIGKILL cannot remove its stage: the next run removes every one it finds.
for old in "$prefix/.$BIN-install."*; do
    [ ! -d "$old" ] || [ -L "$old" ] || rm -rf "$old"
done
stage=$(mktemp -d "$prefix/.$BIN-install.XXXXXX") ||
    die "cannot write into $prefix: choose another --prefix, or run as a user who may write there"
fetch "$archive" "$stage/$archive"
check_sha256 "$stage/$archive"
check_signature "$stage/$archive"
mkdir "$stage/unpacked"
tar -xzf "$stage/$archive" -C "$stage/unpacked" || die "cannot unpack $archive (tar, above)"
unpacked=$stage/unpacked/$archive_dir
[ -f "$unpacked/$BIN" ] || die "$archive holds no $archive_dir/$BIN: not a release archive of $NAME"
# The same run as dist's smoke test: it exits 0 and names SMOKE_EXPECT in its first line.
eval "set -- $SMOKE_ARGS"
ran=$("$unpacked/$BIN" "$@") ||
    die "the $target binary does not run here: \`$BIN $*\` failed (above); nothing was installed"
first=$(printf '%s\n' "$ran" | sed -n 1p)
case $first in
*"$SMOKE_EXPECT"*) ;;
*) die "the $target binary does not run here: \`$BIN $*\` printed \`$first\`, expected a first line containing \`$SMOKE_EXPECT\`; nothing was installed" ;;
esac

plan=$(install_plan "$unpacked")
tab=$(printf '\t')
while IFS=$tab read -r file dest; do
    # mv would put the file inside a directory of its name, and say it was installed.
    if [ -d "$prefix/$dest" ]; then
        die "$prefix/$dest is a directory, where the file $dest goes: remove it or choose another --prefix; nothing was installed"
    fi
done <<EOF
$plan
EOF
while IFS=$tab read -r file dest; do
    dir=$prefix/${dest%/*}
    if ! mkdir -p "$dir" || [ ! -w "$dir" ]; then
        die "cannot write into $dir: choose another --prefix, or run as a user who may write there"
    fi
done <<EOF
$plan
EOF
install_all || die "installing into $prefix failed (above): the files there are as they were; nothing was installed"
while IFS=$tab read -r file dest; do
    say "installed $prefix/$dest"
done <<EOF
$plan
EOF
say "$NAME $VERSION ($target) is installed in $prefix; SHA-256 checked with $sum_tool; signature: $signature"
case ":${PATH:-}:" in
*":$prefix/bin:"*) ;;
*) say "note: $prefix/bin is not on PATH: add it, e.g. export PATH=\"$prefix/bin:\$PATH\"" ;;
esac
