# Reads scripts/deps.txt (the one table of what the repository needs); sourced by scripts/setup
# and scripts/doctor. Bash only: it must work on a machine that has nothing else yet.

LP_DEPS_FILE="${LP_DEPS_FILE:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/deps.txt}"

# Prints the rows as "check<TAB>package<TAB>scope<TAB>needs", comments and blank lines left out.
lp_deps_rows() {
  local check package scope needs
  while read -r check package scope needs; do
    case "$check" in '' | '#'*) continue ;; esac
    printf '%s\t%s\t%s\t%s\n' "$check" "$package" "$scope" "$needs"
  done <"$LP_DEPS_FILE"
}

# lp_deps_check CHECK: 0 when it is satisfied. Relative paths are from the repository root
# (the caller's working directory).
lp_deps_check() {
  local kind="${1%%:*}" arg="${1#*:}" f
  case "$kind" in
    cmd) command -v "$arg" >/dev/null 2>&1 ;;
    file) compgen -G "$arg" >/dev/null ;;
    pc) command -v pkg-config >/dev/null 2>&1 && pkg-config --exists "$arg" ;;
    cc)
      command -v clang++ >/dev/null 2>&1 || return 1
      f=$(clang++ -print-file-name="$arg" 2>/dev/null) && [ -f "$f" ]
      ;;
    npm)
      # `npm ci` writes node_modules/.package-lock.json: present and not older than the lockfile.
      [ -f "$arg/package-lock.json" ] && [ -f "$arg/node_modules/.package-lock.json" ] &&
        ! [ "$arg/package-lock.json" -nt "$arg/node_modules/.package-lock.json" ]
      ;;
    *)
      echo "deps.txt: unknown check kind '$kind' in '$1'" >&2
      return 2
      ;;
  esac
}

# The command that installs a row's package.
lp_deps_install_hint() {  # CHECK PACKAGE
  if [ "$2" = npm-ci ]; then
    echo "(cd ${1#npm:} && npm ci)"
  else
    echo "apt-get install -y --no-install-recommends $2"
  fi
}
