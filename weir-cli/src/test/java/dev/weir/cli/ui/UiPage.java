package dev.weir.cli.ui;

import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;

import org.openqa.selenium.By;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;

/**
 * {@code weir ui}'s page as a test reads it in a real browser: rows of the flows table, edges of the service map
 * (by the data attributes the page puts on them), the filters, an edge's flows and the status panel. The page
 * redraws every second, so every read looks the elements up again and retries once they went stale. Tests only.
 */
public final class UiPage {

    /** The computed stroke of an edge by verdict, from ui.css. */
    public static final String RED = "rgb(224, 49, 49)";
    public static final String GREEN = "rgb(47, 158, 68)";

    private final WebDriver driver;

    public UiPage(WebDriver driver, String url) {
        this.driver = driver;
        driver.get(url);
    }

    /** One row of a flows table. */
    public record Row(String verdict, String source, String destination, String node) {
    }

    /** One edge of the service map, with the colour its line is drawn in. */
    public record Edge(String id, String source, String target, String verdict, int flows, String stroke) {
    }

    /** The rows of the flows table. */
    public List<Row> flows() {
        return rows("#flows tbody tr");
    }

    /** The rows of the open edge's flows. */
    public List<Row> edgeFlows() {
        return rows("#edge-flows tbody tr");
    }

    public List<Edge> edges() {
        return read(() -> driver.findElements(By.cssSelector("#map g.edge")).stream().map(e -> new Edge(
                e.getDomAttribute("data-edge-id"), e.getDomAttribute("data-source"), e.getDomAttribute("data-target"),
                e.getDomAttribute("data-verdict"), Integer.parseInt(e.getDomAttribute("data-flows")),
                e.findElement(By.cssSelector(".edge-line")).getCssValue("stroke"))).toList());
    }

    /** The nodes of the status panel, with whether each is up. */
    public List<String> statusNodes() {
        return read(() -> driver.findElements(By.cssSelector("#status tbody tr")).stream()
                .map(r -> r.getDomAttribute("data-node") + (r.getDomAttribute("data-up").equals("true") ? " up" : " down")).toList());
    }

    /** Chooses a value of a select filter ({@code verdict}, {@code protocol}; "" for any), as a user clicks it. */
    public void select(String filter, String value) {
        driver.findElement(By.cssSelector("#filter-" + filter + " option[value='" + value + "']")).click();
    }

    /** Types into a text filter ({@code from-pod}, {@code to-pod}, {@code namespace}, {@code port}), replacing it. */
    public void type(String filter, String value) {
        WebElement input = driver.findElement(By.id("filter-" + filter));
        input.clear();
        input.sendKeys(value);
    }

    public void clearFilters() {
        driver.findElement(By.id("filter-clear")).click();
    }

    /** Clicks an edge (its flow count, drawn at the middle of its line). */
    public void clickEdge(String id) {
        read(() -> {
            driver.findElement(By.cssSelector("#map g.edge[data-edge-id='" + id + "'] [data-edge-label]")).click();
            return true;
        });
    }

    public boolean edgePanelShown() {
        return driver.findElement(By.id("edge-panel")).isDisplayed();
    }

    public String edgeTitle() {
        return driver.findElement(By.id("edge-title")).getText();
    }

    public String error() {
        WebElement e = driver.findElement(By.id("error"));
        return e.isDisplayed() ? e.getText() : "";
    }

    /**
     * Waits until {@code condition} holds, reading the page every 100 ms.
     *
     * @throws AssertionError naming {@code what} and the last value read, when it does not hold in time
     */
    public <T> T await(String what, Duration timeout, Supplier<T> read, java.util.function.Predicate<T> condition)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        T last = read.get();
        while (!condition.test(last)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the page did not show " + what + " within " + timeout.toSeconds() + " s; it showed " + last);
            }
            Thread.sleep(100);
            last = read.get();
        }
        return last;
    }

    private List<Row> rows(String css) {
        return read(() -> driver.findElements(By.cssSelector(css)).stream().map(r -> new Row(r.getDomAttribute("data-verdict"),
                r.getDomAttribute("data-source"), r.getDomAttribute("data-destination"), r.getDomAttribute("data-node"))).toList());
    }

    /** Reads again when the page redrew what was being read. */
    private static <T> T read(Supplier<T> read) {
        for (int i = 0; ; i++) {
            try {
                return read.get();
            } catch (StaleElementReferenceException e) {
                if (i == 5) {
                    throw e;
                }
            }
        }
    }
}
