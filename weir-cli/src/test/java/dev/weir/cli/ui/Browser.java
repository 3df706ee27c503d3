package dev.weir.cli.ui;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

import dev.weir.testkit.Requirements;

/**
 * Debian's headless Chromium driven through its chromedriver by Selenium, with a profile directory of its own.
 * {@link #close()} quits it and checks that every process it started (chromedriver, the browser and the
 * browser's helpers) is gone, then removes the profile. Tests only.
 */
public final class Browser implements AutoCloseable {

    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");

    private final ChromeDriverService service;
    private final ChromeDriver driver;
    private final Path profile;

    private Browser(ChromeDriverService service, ChromeDriver driver, Path profile) {
        this.service = service;
        this.driver = driver;
        this.profile = profile;
    }

    /** Skips (fails under CI=true) when Chromium or chromedriver is missing. */
    public static void require() {
        Requirements.require(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
                "needs Debian's chromium and chromium-driver (" + CHROMIUM + ", " + CHROMEDRIVER + "; scripts/setup.sh installs them)");
    }

    /** Starts headless Chromium (1400x1000). */
    public static Browser start() throws IOException {
        Path profile = Files.createTempDirectory("weir-ui-chromium-");
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort()
                .withLogOutput(new java.io.PrintStream(java.io.OutputStream.nullOutputStream()))
                .build();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1400,1000", "--no-first-run", "--user-data-dir=" + profile);
        try {
            return new Browser(service, new ChromeDriver(service, options), profile);
        } catch (RuntimeException e) {
            service.stop();
            delete(profile);
            throw e;
        }
    }

    public WebDriver driver() {
        return driver;
    }

    /** Saves what the browser shows as a PNG (for a person to look at; under target/). */
    public void screenshot(Path file) throws IOException {
        Files.write(file, driver.getScreenshotAs(org.openqa.selenium.OutputType.BYTES));
    }

    @Override
    public void close() throws IOException, InterruptedException {
        List<ProcessHandle> processes = processes(profile);
        try {
            driver.quit();
        } finally {
            service.stop();
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (processes.stream().anyMatch(ProcessHandle::isAlive) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        List<String> left = processes.stream().filter(ProcessHandle::isAlive)
                .map(p -> p.pid() + " " + p.info().command().orElse("?")).toList();
        processes.forEach(ProcessHandle::destroyForcibly);
        delete(profile);
        if (processes.isEmpty()) {
            throw new AssertionError("no process named the profile " + profile + ": cannot check that the browser ended");
        }
        if (!left.isEmpty()) {
            throw new AssertionError("browser processes left behind: " + left);
        }
    }

    /** The browser whose command line names {@code profile}, its parent (chromedriver) and all their descendants. */
    private static List<ProcessHandle> processes(Path profile) {
        List<ProcessHandle> out = new ArrayList<>();
        ProcessHandle.allProcesses()
                .filter(p -> p.info().arguments().map(a -> List.of(a).contains("--user-data-dir=" + profile)).orElse(false))
                .forEach(browser -> {
                    browser.parent().ifPresent(out::add);
                    out.add(browser);
                    browser.descendants().forEach(out::add);
                });
        return out.stream().distinct().toList();
    }

    private static void delete(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
