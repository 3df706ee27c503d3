package dev.weir.cli.output;

/** How a listing prints: a table for people, JSON for scripts. */
public enum OutputFormat {
    table, json
}
