# Shared by weir's scripts: locate the repository and a JDK 25. Source it; it defines functions only.

WEIR_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# Prints the home of a JDK 25 or newer: $JAVA_HOME if it is one, else the first under /usr/lib/jvm.
weir_find_jdk() {
    local candidate version
    for candidate in "${JAVA_HOME:-}" /usr/lib/jvm/*25* /usr/lib/jvm/* /opt/java/* /opt/jdk*; do
        [ -n "$candidate" ] && [ -x "$candidate/bin/javac" ] || continue
        version="$("$candidate/bin/java" -XshowSettings:properties -version 2>&1 \
            | awk -F'= ' '/java.specification.version/ {print $2}')"
        if [ -n "$version" ] && [ "${version%%.*}" -ge 25 ] 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}

weir_require_jdk() {
    local jdk
    if ! jdk="$(weir_find_jdk)"; then
        echo "weir: no JDK 25 found (looked at \$JAVA_HOME and /usr/lib/jvm/*)." >&2
        echo "weir: install one (e.g. Temurin 25 under /usr/lib/jvm/temurin-25-jdk-amd64) or set JAVA_HOME to it." >&2
        return 1
    fi
    export JAVA_HOME="$jdk"
    export PATH="$JAVA_HOME/bin:$PATH"
}

# The CLI jar, built by `mvn package` in weir-cli.
WEIR_JAR="$WEIR_ROOT/weir-cli/target/weir.jar"

# True when the jar is missing or older than any source, BPF or build file (weir ui's page included).
weir_jar_stale() {
    [ -f "$WEIR_JAR" ] || return 0
    [ -n "$(find "$WEIR_ROOT" \( -path "$WEIR_ROOT/.git" -o -name target \) -prune -o \
        \( -name '*.java' -o -name '*.c' -o -name '*.h' -o -name 'pom.xml' -o -name 'Makefile' \
           -o -path '*/src/main/resources/*' \) \
        -newer "$WEIR_JAR" -print -quit)" ]
}

weir_build() {
    echo "weir: building (mvn package, tests skipped) ..." >&2
    (cd "$WEIR_ROOT" && mvn -B -q -DskipTests package) >&2
}
