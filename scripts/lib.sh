# Shared by weir's scripts: locate the repository and a JDK 25. Source it; it defines functions only.

WEIR_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# Prints the home of a JDK 25 or newer: $JAVA_HOME if it is one, else the first under /usr/lib/jvm.
weir_find_jdk() {
    local candidate version
    for candidate in "${JAVA_HOME:-}" /usr/lib/jvm/*25* /usr/lib/jvm/* /opt/java/* /opt/jdk*; do
        [ -n "$candidate" ] && [ -x "$candidate/bin/javac" ] || continue
        # the JDK's release file names its version; asking java itself starts a JVM (~0.1 s on every weir command)
        version="$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$candidate/release" 2>/dev/null)"
        [ -n "$version" ] || version="$("$candidate/bin/java" -XshowSettings:properties -version 2>&1 \
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
    weir_build_aot
}

# The CLI's AOT cache (JDK 25, JEP 483/514): the classes of a weir command, loaded and linked ahead of time from
# a recorded run (dev.weir.cli.AotTraining: every command's help, no agent or kernel touched). A new JVM then
# starts a command in about half the time. The JVM options of a command (bin/weir) are recorded with it.
WEIR_AOT="$WEIR_ROOT/weir-cli/target/weir.aot"
WEIR_CLI_JVM=(--enable-native-access=ALL-UNNAMED -XX:+UseSerialGC -XX:TieredStopAtLevel=1)

# Records the AOT cache for the jar and puts it in place atomically (a command starting meanwhile uses the old
# one or none). Prints nothing unless it fails; a failure leaves the commands without one, nothing else.
weir_build_aot() {
    local tmp="$WEIR_AOT.$$.tmp" log="$WEIR_ROOT/weir-cli/target/weir-aot.log"
    rm -f "$tmp"
    if "$JAVA_HOME/bin/java" "${WEIR_CLI_JVM[@]}" -XX:AOTCacheOutput="$tmp" -cp "$WEIR_JAR" dev.weir.cli.AotTraining \
            >"$log" 2>&1 && [ -s "$tmp" ]; then
        mv -f "$tmp" "$WEIR_AOT"
    else
        rm -f "$tmp" "$tmp.config"
        echo "weir: could not record the CLI's AOT cache (see $log); commands start without it" >&2
    fi
}

# True when the AOT cache is missing or older than the jar. The JVM checks the rest (the same JDK, the same jar
# file, the same options) and runs without a cache that does not fit.
weir_aot_stale() {
    [ ! "$WEIR_AOT" -nt "$WEIR_JAR" ]
}
