package dev.weir.cli.lab;

/** Progress lines for long lab operations, on stderr so stdout stays for results. */
final class Progress {

    private Progress() {
    }

    static void line(String message) {
        System.err.println("lab: " + message);
        System.err.flush();
    }
}
