#!/usr/bin/env bash
# Bootstrap in Nuke's manner: check the SDK against global.json, build build/ quietly, run it with all arguments.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

wanted=$(sed -n 's/.*"version"[^"]*"\([0-9.]*\)".*/\1/p' "$root/global.json" | head -n 1)
major_minor=${wanted%.*}
if ! command -v dotnet >/dev/null 2>&1; then
  echo "error: dotnet is not on PATH. CiLab needs the .NET SDK $major_minor (global.json asks for $wanted or a later feature band)." >&2
  echo "  Debian/Ubuntu: apt-get install dotnet-sdk-$major_minor   (from Microsoft's or Ubuntu's package feed)" >&2
  echo "  Elsewhere:     https://dotnet.microsoft.com/download/dotnet/$major_minor" >&2
  exit 1
fi
if ! (cd "$root" && dotnet --version >/dev/null 2>&1); then
  echo "error: no installed .NET SDK satisfies global.json ($wanted, rollForward latestFeature). Installed:" >&2
  dotnet --list-sdks >&2 || true
  echo "  Install the .NET SDK $major_minor: apt-get install dotnet-sdk-$major_minor, or https://dotnet.microsoft.com/download/dotnet/$major_minor" >&2
  exit 1
fi

build_dll="$root/artifacts/build-bin/_build.dll"
build_stamp="$root/artifacts/build-bin/.stamp"
build_log="$root/artifacts/build-bootstrap.log"
mkdir -p "$root/artifacts/build-bin"
# Rebuild the build only when one of its inputs is newer than it (saves ~5 s per call).
stale=yes
if [ -f "$build_dll" ] && [ -f "$build_stamp" ]; then
  stale=$(find "$root/build" "$root/src/CiLab" "$root/global.json" "$root"/Directory.*.props \
    \( -name bin -o -name obj \) -prune -o -newer "$build_stamp" -type f -print -quit)
fi
# The new stamp is taken before building, so an edit made during the build still counts as newer.
[ -z "$stale" ] || touch "$build_stamp.new"
if [ -n "$stale" ] && ! dotnet build "$root/build/_build.csproj" -nologo -v q -clp:NoSummary -o "$root/artifacts/build-bin" >"$build_log" 2>&1; then
  cat "$build_log" >&2
  echo "error: the build project did not compile (log above, also in $build_log)." >&2
  exit 1
fi
[ -z "$stale" ] || mv "$build_stamp.new" "$build_stamp"
cd "$root"
exec dotnet "$build_dll" "$@"
