package dev.s3c.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.springframework.util.FileSystemUtils;

/**
 * The web console in a real headless Chromium against the whole platform: what a person sees on the page after
 * each step. The tests run in order on one cluster (its own broker: the load test's scaling must not meet other
 * tests' state). Screenshots of the main pages land in {@code target/console-screenshots}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConsoleInBrowserTest {

    static final String CHROMIUM = System.getProperty("s3c.chromium", "/usr/bin/chromium");
    static final String CHROMEDRIVER = System.getProperty("s3c.chromedriver", "/usr/bin/chromedriver");
    private static final Path SCREENSHOTS = Path.of("target", "console-screenshots");

    private LocalCluster cluster;
    private Api api;
    private String base;
    private ChromeDriver browser;
    private WebDriverWait wait;
    private Path profile;

    @BeforeAll
    void start() {
        assertThat(new File(CHROMIUM)).as("Chromium for the console's tests (apt-get install chromium "
                + "chromium-driver; ./test.sh does it as root)").isFile();
        cluster = LocalCluster.start(LocalCluster.Options.forTests(null, null).withExecutorInstances(1)
                .withServiceArgs("--s3c.scaler.max-instances=4", "--s3c.scaler.scale-up-cooldown=1s"));
        base = cluster.gatewayUrl();
        api = new Api(base);
        profile = tempDir("chromium-profile");
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM);
        options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--window-size=1280,1000", "--user-data-dir=" + profile);
        options.setCapability("goog:loggingPrefs", Map.of(LogType.BROWSER, "ALL"));
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(CHROMEDRIVER)).usingAnyFreePort().build();
        browser = new ChromeDriver(service, options);
        wait = waiting(Duration.ofSeconds(30));
    }

    @AfterAll
    void stop() {
        try {
            if (browser != null) {
                browser.quit();
            }
            if (cluster != null) {
                cluster.close();
            }
        } finally {
            // its profile (caches, about 10 MB) would otherwise stay in the temp folder for good
            if (profile != null) {
                FileSystemUtils.deleteRecursively(profile.toFile());
            }
        }
    }

    @Test
    @Order(0)
    void aVisitorSignsInWithTheKeyAndTheBrowserKeepsItOutOfReachOfScripts() {
        browser.get(base + "/");
        WebElement key = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("api-key")));
        assertThat(browser.findElements(By.cssSelector("tr[data-function]"))).isEmpty();
        key.sendKeys("s3c_not-a-key");
        browser.findElement(By.id("sign-in-button")).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("sign-in-error"), "not a key"));
        screenshot("sign-in");

        key.clear();
        key.sendKeys(LocalCluster.TEST_API_KEY);
        browser.findElement(By.id("sign-in-button")).click();
        wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("tr[data-function]")));
        wait.until(ExpectedConditions.textToBe(By.id("live-status"), "live"));
        var cookie = browser.manage().getCookieNamed("s3c_key");
        assertThat(cookie.isHttpOnly()).isTrue();
        assertThat(cookie.getSameSite()).isEqualTo("Strict");
        assertThat(js("return document.cookie")).isEqualTo("");
        assertThat(browser.findElement(By.id("session-tenant")).getText()).isEqualTo("default");

        // signing out drops the cookie: the console asks for a key again, and takes it again
        browser.findElement(By.id("sign-out")).click();
        key = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("api-key")));
        assertThat(browser.manage().getCookieNamed("s3c_key")).isNull();
        key.sendKeys(LocalCluster.TEST_API_KEY);
        browser.findElement(By.id("sign-in-button")).click();
        wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("tr[data-function]")));
        wait.until(ExpectedConditions.textToBe(By.id("session-tenant"), "default"));
        browserErrors(); // drains the refusals above (the wrong key's 401, the first session checks)
    }

    @Test
    @Order(1)
    void theConsoleLoadsAtTheRootWithNoErrorsAndNoFailedRequests() {
        browser.get(base + "/");
        WebElement table = wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("tr[data-function]")));
        assertThat(table.isDisplayed()).isTrue();
        assertThat(rowsText("table[aria-label=Functions] tbody tr"))
                .anySatisfy(row -> assertThat(row).contains("fibonacci").contains("active").contains("calls only"));
        wait.until(ExpectedConditions.textToBe(By.id("live-status"), "live"));

        List<String> failed = failedRequests();
        assertThat(failed).as("requests that failed while the page loaded").isEmpty();
        assertThat(browserErrors()).as("console errors").isEmpty();
        @SuppressWarnings("unchecked")
        List<String> cached = (List<String>) js("return performance.getEntriesByType('resource')"
                + ".filter(e => e.name.includes('/webjars/') || e.name.includes('/console/')).map(e => e.name)");
        assertThat(cached).isNotEmpty();
        var app = api.get("/console/app.js");
        assertThat(app.raw().headers().firstValue("Cache-Control")).hasValue("max-age=300");

        // search narrows the list
        browser.findElement(By.id("function-search")).sendKeys("prime");
        wait.until(d -> rowsText("table[aria-label=Functions] tbody tr").size() == 1);
        assertThat(rowsText("table[aria-label=Functions] tbody tr").getFirst()).contains("prime-checker");
        screenshot("functions");

        // at a phone's width nothing runs off the side of the page (wide tables scroll in their own box)
        browser.manage().window().setSize(new org.openqa.selenium.Dimension(390, 844));
        try {
            for (String page : List.of("#/functions", "#/monitoring", "#/load-tests", "#/dead-letters")) {
                browser.get(base + "/" + page);
                wait.until(ExpectedConditions.presenceOfElementLocated(By.tagName("h1")));
                Number overflow = (Number) js("return document.documentElement.scrollWidth - window.innerWidth");
                assertThat(overflow.intValue()).as("horizontal overflow of %s", page).isLessThanOrEqualTo(0);
            }
        } finally {
            browser.manage().window().setSize(new org.openqa.selenium.Dimension(1280, 1000));
        }
    }

    @Test
    @Order(2)
    void aParseErrorShowsAtItsLineThenTheFixedFunctionRunsSyncAndAsync() {
        browser.get(base + "/#/functions/new");
        WebElement name = wait.until(ExpectedConditions.elementToBeClickable(By.id("fn-name")));
        name.sendKeys("greeter");
        setCode("""
                async function handler(input, context) {
                  console.log('greeting', input.name;
                  return { greeting: 'hello ' + input.name };
                }""");
        browser.findElement(By.id("fn-save")).click();
        WebElement error = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("fn-error")));
        assertThat(error.getText()).contains("code").contains("line 2");
        // the line is marked in the editor, with a marker in its gutter
        WebElement marked = browser.findElement(By.cssSelector(".CodeMirror .cm-error-line"));
        assertThat(marked.getText()).contains("console.log('greeting', input.name;");
        assertThat(browser.findElements(By.cssSelector(".CodeMirror .error-marker"))).hasSize(1);
        screenshot("parse-error");

        setCode("""
                async function handler(input, context) {
                  console.log('greeting', input.name);
                  return { greeting: process.env.GREETING + ' ' + input.name };
                }""");
        assertThat(browser.findElements(By.cssSelector(".CodeMirror .cm-error-line"))).isEmpty();
        browser.findElement(By.id("fn-concurrency")).sendKeys("2");
        // a line of the environment that is not NAME=value is flagged before anything is sent
        WebElement env = browser.findElement(By.id("fn-env"));
        env.sendKeys("# settings\nGREETING hello");
        browser.findElement(By.id("fn-save")).click();
        assertThat(wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("fn-error"))).getText())
                .contains("config.env").contains("line 2 is not NAME=value");
        assertThat(api.get("/api/functions?name=greeter").body().get("total").asInt()).isZero();
        env.clear();
        env.sendKeys("# settings\nGREETING=hello");
        browser.findElement(By.id("fn-save")).click();
        wait.until(ExpectedConditions.urlMatches("#/functions/[0-9a-f]{24}$"));
        wait.until(ExpectedConditions.textToBe(By.tagName("h1"), "greeter"));
        assertThat(browser.findElement(By.id("fn-version")).getText()).contains("version 1").contains("handler style");
        // its own concurrency limit was saved with it, and the form shows it
        String greeter = browser.getCurrentUrl().replaceFirst(".*/", "");
        assertThat(api.get("/api/functions/" + greeter).body().get("config").get("maxConcurrency").asInt())
                .isEqualTo(2);
        assertThat(browser.findElement(By.id("fn-concurrency")).getDomProperty("value")).isEqualTo("2");
        // and its environment, which the form shows as NAME=value lines
        assertThat(api.get("/api/functions/" + greeter).body().get("config").get("env").toString())
                .isEqualTo("{\"GREETING\":\"hello\"}");
        assertThat(browser.findElement(By.id("fn-env")).getDomProperty("value")).isEqualTo("GREETING=hello");
        // changed elsewhere (another tab, the API) since the form was loaded: saving the form is refused, not a
        // silent undo of that change; once reloaded, it saves
        // (there, a variable whose value has a line break, which the form's NAME=value lines cannot show as it is)
        assertThat(api.put("/api/functions/" + greeter, "{\"description\":\"changed elsewhere\",\"config\":{\"env\":"
                + "{\"GREETING\":\"hello\",\"NOTE\":\"two\\nlines\"}}}").status()).isEqualTo(200);
        browser.findElement(By.id("fn-save")).click();
        assertThat(wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("fn-error"))).getText())
                .contains("version");
        assertThat(api.get("/api/functions/" + greeter).body().get("description").asString())
                .isEqualTo("changed elsewhere");
        browser.navigate().refresh();
        wait.until(ExpectedConditions.textToBe(By.tagName("h1"), "greeter"));
        wait.until(ExpectedConditions.elementToBeClickable(By.id("fn-save"))).click();
        assertThat(wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("fn-saved"))).getText())
                .contains("version 3");
        // saved without touching its variables: they are kept as they were, line break and all
        assertThat(api.get("/api/functions/" + greeter).body().get("config").get("env").get("NOTE").asString())
                .isEqualTo("two\nlines");
        // a function URL, chosen in the form: shown once saved, and answering plain HTTP requests
        assertThat(browser.findElement(By.id("fn-url")).getText()).isEmpty();
        new Select(browser.findElement(By.id("fn-http"))).selectByValue("public");
        browser.findElement(By.id("fn-save")).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("fn-saved"), "version 4"));
        assertThat(browser.findElement(By.id("fn-url-value")).getText()).isEqualTo(base + "/fn/" + greeter);
        assertThat(browser.findElement(By.id("fn-url")).getText()).contains("anyone may call it");
        // with the call as a terminal makes it (no key: it is public)
        assertThat(browser.findElement(By.id("fn-url-curl")).getText())
                .isEqualTo("curl -s '" + base + "/fn/" + greeter + "/hello?name=Ada'");
        Api.Response called = new Api(base, null).call("GET", "/fn/" + greeter, null, null);
        assertThat(called.status()).as("%s", called.raw().body()).isEqualTo(200);
        assertThat(called.body().get("greeting").asString()).isEqualTo("hello undefined");

        // invalid JSON is flagged before anything is sent
        WebElement input = wait.until(ExpectedConditions.elementToBeClickable(By.id("run-input")));
        input.clear();
        input.sendKeys("{\"name\": ");
        assertThat(browser.findElement(By.id("run-input-status")).getText()).startsWith("Invalid JSON");
        assertThat(browser.findElement(By.id("run-button")).isEnabled()).isFalse();
        input.sendKeys("\"ada\"}");
        assertThat(browser.findElement(By.id("run-input-status")).getText()).isEmpty();
        browser.findElement(By.id("run-button")).click();
        WebElement output = wait.until(ExpectedConditions.visibilityOfElementLocated(
                By.cssSelector("#run-result [data-testid=execution-output]")));
        assertThat(output.getText()).contains("\"greeting\": \"hello ada\"");
        assertThat(browser.findElement(By.cssSelector("#run-result [data-testid=execution-logs]")).getText())
                .isEqualTo("greeting ada");
        assertThat(browser.findElement(By.cssSelector("#run-result .execution")).getText())
                .contains("Duration").contains("Cold start").contains("Instance");
        // the same call from a terminal: by the function's name, with this input
        browser.findElement(By.cssSelector("#run-column details summary")).click();
        assertThat(wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("run-curl"))).getText())
                .contains("'" + base + "/api/functions/greeter/execute'").contains("-d '{\"input\":{\"name\":\"ada\"}}'")
                .contains("Bearer $KEY");

        new Select(browser.findElement(By.id("run-mode"))).selectByValue("async");
        // async from a terminal: the call, then one read that waits for its result
        assertThat(browser.findElement(By.id("run-curl")).getText()).contains("execute?mode=async")
                .contains("/api/executions/<executionId>?wait=30");
        browser.findElement(By.id("run-button")).click();
        wait.until(ExpectedConditions.attributeToBe(By.cssSelector("#run-result .execution"), "data-status", "succeeded"));
        // it was seen queued first, then final
        assertThat(browser.findElement(By.cssSelector("#run-result [data-testid=status-trail]")).getText())
                .startsWith("queued").endsWith("succeeded");

        // the call of its URL and both runs are listed under the function's executions, final, once stored (as a
        // person would, refresh until then: the listing can show a run queued a moment after its own page showed it
        // final)
        wait.until(d -> {
            d.findElement(By.id("executions-refresh")).click();
            List<String> rows = rowsText("#executions tbody tr");
            return rows.size() == 3 && rows.stream().allMatch(row -> row.contains("succeeded"));
        });
        assertThat(rowsText("#executions tbody tr")).hasSize(3);
        screenshot("function");

        // a schedule typed in the form: one that is not is named; one that is runs the function until cleared
        String ticker = api.post("/api/functions", Api.json(Map.of("name", "ticker", "code", "return input.source;")))
                .body().get("id").asString();
        browser.get(base + "/#/functions/" + ticker);
        WebElement schedule = wait.until(ExpectedConditions.elementToBeClickable(By.id("fn-schedule")));
        // what is typed is checked as it is typed: the reason, or when it would run on the zone's clocks
        schedule.sendKeys("CRON_TZ=Asia/Kolkata 30 9 * * *");
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("fn-schedule-runs"), "09:30:00 +05:30"));
        assertThat(browser.findElement(By.id("fn-schedule-next")).getText()).contains("(Asia/Kolkata)");
        // the form whole, its schedule's preview at the bottom included
        browser.manage().window().setSize(new org.openqa.selenium.Dimension(1280, 1200));
        try {
            screenshot("function-schedule");
        } finally {
            browser.manage().window().setSize(new org.openqa.selenium.Dimension(1280, 1000));
        }
        schedule.clear();
        schedule.sendKeys("every second");
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("fn-schedule-next"), "had 2 fields"));
        browser.findElement(By.id("fn-save")).click();
        assertThat(wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("fn-error"))).getText())
                .contains("config.schedule");
        schedule.clear();
        schedule.sendKeys("@every 1s");
        browser.findElement(By.id("fn-save")).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("fn-saved"), "version 2"));
        assertThat(api.get("/api/functions/" + ticker).body().get("config").get("schedule").asString())
                .isEqualTo("@every 1s");
        wait.until(d -> {
            d.findElement(By.id("executions-refresh")).click();
            List<String> rows = rowsText("#executions tbody tr");
            // (one runs every second: some may still be on their way)
            return rows.stream().filter(row -> row.contains("succeeded")).count() >= 2;
        });
        // the list says what runs it besides calls
        browser.get(base + "/#/functions");
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("tr[data-function='ticker']"),
                "schedule @every 1s"));
        browser.get(base + "/#/functions/" + ticker);
        schedule = wait.until(ExpectedConditions.elementToBeClickable(By.id("fn-schedule")));
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("fn-schedule-next"), "next runs (UTC)"));
        schedule.clear();
        browser.findElement(By.id("fn-save")).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("fn-saved"), "version 3"));
        assertThat(api.get("/api/functions/" + ticker).body().get("config").has("schedule")).isFalse();
        assertThat(api.delete("/api/functions/" + ticker).status()).isEqualTo(204);
    }

    @Test
    @Order(2)
    void anEarlierVersionIsComparedWithTheCurrentOneAndRestored() {
        String first = "function handler(input) {\n  return 'one';\n}";
        String id = api.post("/api/functions", Api.json(Map.of("name", "rollback", "code", first,
                "config", Map.of("timeoutMs", 1000)))).body().get("id").asString();
        assertThat(api.put("/api/functions/" + id, Api.json(Map.of("description", "second", "code",
                "function handler(input) {\n  return 'two';\n}", "config", Map.of("timeoutMs", 2000),
                "note", "returns two")))
                .status()).isEqualTo(200);
        browser.get(base + "/#/functions/" + id);
        wait.until(d -> rowsText("#versions tbody tr").size() == 2);
        assertThat(rowsText("#versions tbody tr").getFirst()).startsWith("2").contains("returns two")
                .contains("current");
        assertThat(browser.findElement(By.id("versions-kept")).getText()).isEqualTo("the last 50 are kept");

        // what restoring version 1 would change: its code line by line, its description and settings
        browser.findElement(By.cssSelector("button[data-compare='1']")).click();
        WebElement diff = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("version-diff")));
        assertThat(diff.getText().lines()).containsExactly("  function handler(input) {", "-   return 'two';",
                "+   return 'one';", "  }");
        assertThat(browser.findElement(By.id("version-settings")).getText())
                .contains("description: second → (none)").contains("config.timeoutMs: 2000 → 1000");
        screenshotOf("function-versions", browser.findElement(By.cssSelector("section[aria-label=Versions]")));

        // restored over code being edited: the dialog says those edits go
        setCode("function handler(input) { return 'unsaved'; }");
        browser.findElement(By.cssSelector("button[data-restore='1']")).click();
        WebElement dialog = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("version-restore-dialog")));
        assertThat(dialog.getText()).contains("Restore version 1?").contains("Version 3 gets")
                .contains("changes not saved");
        // a note for the new version, and Enter restores
        browser.findElement(By.id("version-restore-note")).sendKeys("two was wrong", org.openqa.selenium.Keys.ENTER);
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("fn-version"), "version 3"));
        assertThat(js("return document.querySelector('.CodeMirror').CodeMirror.getValue()")).isEqualTo(first);
        assertThat(browser.findElement(By.id("fn-timeout")).getDomProperty("value")).isEqualTo("1000");
        wait.until(d -> rowsText("#versions tbody tr").size() == 3);
        assertThat(rowsText("#versions tbody tr").getFirst()).startsWith("3").contains("two was wrong");
        assertThat(api.get("/api/functions/" + id).body().get("config").get("timeoutMs").asInt()).isEqualTo(1000);

        // and the function runs the restored code
        wait.until(ExpectedConditions.elementToBeClickable(By.id("run-button"))).click();
        assertThat(wait.until(ExpectedConditions.visibilityOfElementLocated(
                By.cssSelector("#run-result [data-testid=execution-output]"))).getText()).contains("\"one\"");
        // the result, and the function's executions once it is stored, name the version that ran
        assertThat(browser.findElement(By.cssSelector("#run-result .execution")).getText()).contains("Version\n3");
        // (once the restore's notice is gone: it covers the list's button, as it would a person's click)
        wait.until(ExpectedConditions.invisibilityOfElementLocated(By.id("toast")));
        wait.until(d -> {
            d.findElement(By.id("executions-refresh")).click();
            return rowsText("#executions tbody tr").stream().anyMatch(row -> row.contains("succeeded")
                    && row.contains("v3"));
        });
        // each version's runs, from its row
        browser.findElement(By.cssSelector("button[data-executions='2']")).click();
        wait.until(ExpectedConditions.textToBe(By.id("executions-note"), "None match."));
        assertThat(browser.findElement(By.id("executions-version")).getDomProperty("value")).isEqualTo("2");
        browser.findElement(By.cssSelector("button[data-executions='3']")).click();
        wait.until(d -> {
            List<String> rows = rowsText("#executions tbody tr");
            return rows.size() == 1 && rows.getFirst().contains("v3");
        });
        // a note typed beside Save goes with the version it saves, and is cleared for the next
        browser.findElement(By.id("fn-note")).sendKeys("from the form");
        WebElement timeout = browser.findElement(By.id("fn-timeout"));
        timeout.clear();
        timeout.sendKeys("1500");
        browser.findElement(By.id("fn-save")).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("fn-saved"), "version 4"));
        wait.until(d -> rowsText("#versions tbody tr").getFirst().contains("from the form"));
        assertThat(browser.findElement(By.id("fn-note")).getDomProperty("value")).isEmpty();
        assertThat(api.delete("/api/functions/" + id).status()).isEqualTo(204);
    }

    @Test
    @Order(3)
    void aFailingFunctionRetriesLandsInDeadLettersAndIsRedrivenWithNewInput() {
        var created = api.post("/api/functions", Api.json(Map.of("name", "picky", "code", """
                function handler(input) {
                  if (!input || !input.ok) throw new Error('not ok: ' + JSON.stringify(input));
                  return 'fine';
                }""", "config", Map.of("retryCount", 1, "timeoutMs", 1000))));
        String id = created.body().get("id").asString();
        browser.get(base + "/#/functions/" + id);
        WebElement input = wait.until(ExpectedConditions.elementToBeClickable(By.id("run-input")));
        input.clear();
        input.sendKeys("{\"ok\": false}");
        new Select(browser.findElement(By.id("run-mode"))).selectByValue("async");
        browser.findElement(By.id("run-button")).click();
        wait.until(ExpectedConditions.attributeToBe(By.cssSelector("#run-result .execution"), "data-status", "failed"));
        String executionId = (String) js("return document.querySelector('#run-result .execution').dataset.executionId");
        assertThat(browser.findElement(By.cssSelector("#run-result [data-testid=execution-error]")).getText())
                .contains("user_error").contains("not ok: {\"ok\":false}").contains("line 2");
        // the retry is in the attempt history, with the wait before it
        List<String> attempts = rowsText("#run-result table.attempts tbody tr");
        assertThat(attempts).hasSize(2);
        assertThat(attempts.get(0)).matches("(?s)1\\s+failed.*");
        assertThat(attempts.get(1)).matches("(?s)2\\s+failed\\s+\\S+\\s+\\d+\\.\\d s.*");

        browser.get(base + "/#/dead-letters");
        By row = By.cssSelector("#dead-letters tr[data-execution-id='" + executionId + "']");
        wait.until(ExpectedConditions.presenceOfElementLocated(row));
        assertThat(browser.findElement(row).getText()).contains("picky").contains("2").contains("not ok");
        browser.findElement(row).findElement(By.xpath(".//button[text()='Inspect']")).click();
        WebElement redriveInput = wait.until(ExpectedConditions.elementToBeClickable(By.id("dl-input-" + executionId)));
        redriveInput.clear();
        redriveInput.sendKeys("{\"ok\": true}");
        screenshot("dead-letters");
        browser.findElement(By.cssSelector("#dead-letters button[data-action=redrive]")).click();
        WebElement redriven = wait.until(ExpectedConditions.presenceOfElementLocated(
                By.cssSelector("#dead-letters .execution[data-status=succeeded]")));
        assertThat(redriven.getAttribute("data-execution-id")).isEqualTo(executionId);
        assertThat(redriven.findElement(By.cssSelector("[data-testid=execution-output]")).getText()).isEqualTo("\"fine\"");
        assertThat(browser.findElements(row)).isEmpty();

        // several at once: two more land in the dead letters and are discarded together, after a confirmation
        for (int i = 0; i < 2; i++) {
            assertThat(api.post("/api/functions/" + id + "/execute", "{\"input\":{\"ok\":false}}").body()
                    .get("status").asString()).isEqualTo("failed");
        }
        browser.get(base + "/#/dead-letters");
        wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#dl-function option[value='" + id + "']")));
        new Select(browser.findElement(By.id("dl-function"))).selectByVisibleText("picky");
        wait.until(d -> {
            d.findElement(By.id("dl-refresh")).click(); // stored a moment after the calls answered
            return rowsText("#dead-letters tbody tr[data-execution-id]").size() == 2;
        });
        browser.findElement(By.cssSelector("#dead-letters thead input[type=checkbox]")).click();
        WebElement discard = browser.findElement(By.id("dl-discard-selected"));
        assertThat(discard.getText()).isEqualTo("Discard 2 selected");
        discard.click();
        wait.until(ExpectedConditions.alertIsPresent()).accept();
        wait.until(d -> rowsText("#dead-letters tbody tr[data-execution-id]").isEmpty());
        assertThat(browser.findElement(By.id("dl-status")).getText()).isEqualTo("No dead letters.");
        assertThat(api.get("/api/dead-letters?functionId=" + id).body().size()).isZero();
    }

    @Test
    @Order(4)
    void aLoadTestStartedFromThePageMovesTheChartAndShowsTheScaleUpItCaused() {
        var created = api.post("/api/functions", Api.json(Map.of("name", "busy", "code", """
                function handler(input) {
                  const end = Date.now() + 40;
                  while (Date.now() < end) {}
                  return 'done';
                }""")));
        assertThat(created.status()).isEqualTo(201);
        browser.get(base + "/#/load-tests");
        WebElement function = wait.until(ExpectedConditions.presenceOfElementLocated(
                By.cssSelector("#lt-function option[value='" + created.body().get("id").asString() + "']")));
        new Select(browser.findElement(By.id("lt-function"))).selectByVisibleText("busy");
        assertThat(function.isSelected()).isTrue();
        WebElement callers = browser.findElement(By.id("lt-concurrency"));
        callers.clear();
        callers.sendKeys("30");
        WebElement duration = browser.findElement(By.id("lt-duration"));
        duration.clear();
        duration.sendKeys("120");
        browser.findElement(By.id("lt-start")).click();

        wait.until(ExpectedConditions.textToBe(By.cssSelector("#lt-state .badge"), "running"));
        // the chart gains points as the seconds go by, and the figures count up
        WebDriverWait longer = waiting(Duration.ofSeconds(90));
        longer.until(d -> points("lt-chart") >= 3);
        assertThat(Long.parseLong(browser.findElement(By.id("lt-sent")).getText().replace(",", ""))).isPositive();
        // 30 callers against one instance of a 40 ms function: a backlog the scaler answers by scaling up
        WebElement decision = longer.until(ExpectedConditions.presenceOfElementLocated(
                By.cssSelector("#lt-decisions li[data-action=scale_up]")));
        assertThat(decision.findElement(By.cssSelector("[data-testid=decision-reason]")).getText())
                .contains("queued").contains("per instance");
        screenshot("load-tester");

        browser.findElement(By.id("lt-stop")).click();
        // calls already sent still finish (the backlog drains) before it reads stopped
        wait.until(ExpectedConditions.textMatches(By.cssSelector("#lt-state .badge"), java.util.regex.Pattern.compile("stopping|stopped")));
        longer.until(ExpectedConditions.textToBe(By.cssSelector("#lt-state .badge"), "stopped"));
        assertThat(browser.findElement(By.id("lt-stop")).isDisplayed()).isFalse();
        // and the API agrees with the page
        var tests = api.get("/api/load-tests").body();
        assertThat(tests.get(0).get("state").asString()).isEqualTo("stopped");
        assertThat(tests.get(0).get("succeeded").asLong()).isPositive();
    }

    @Test
    @Order(5)
    void monitoringShowsLiveFiguresTheChartAndScalingDecisions() {
        browserErrors(); // drains what earlier pages logged (the parse error's 400 is one)
        browser.get(base + "/#/monitoring");
        wait.until(d -> points("throughput-chart") >= 5);
        wait.until(d -> !d.findElement(By.id("m-instances")).getText().equals("–"));
        assertThat(browser.findElement(By.id("m-instances")).getText()).matches("\\d+ / \\d+");
        assertThat(browser.findElements(By.cssSelector("#scaling-timeline li[data-action=scale_up]"))).isNotEmpty();
        screenshot("monitoring");
        assertThat(browserErrors()).as("console errors").isEmpty();
    }

    /** Waits that read the page again when it re-rendered what they were looking at (live pages do). */
    private WebDriverWait waiting(Duration atMost) {
        WebDriverWait waiting = new WebDriverWait(browser, atMost);
        waiting.ignoring(StaleElementReferenceException.class);
        return waiting;
    }

    @Test
    @Order(6)
    void theApiIsDescribedAndItsUiOpensFromTheConsole() {
        var doc = api.get("/api/openapi");
        assertThat(doc.status()).isEqualTo(200);
        var paths = doc.body().get("paths");
        assertThat(paths.propertyNames()).contains("/api/functions", "/api/functions/{id}", "/api/functions/{id}/execute",
                "/api/executions/{id}", "/api/functions/{id}/logs", "/api/dead-letters",
                "/api/dead-letters/{executionId}/redrive", "/api/load-tests", "/api/load-tests/{id}");
        // request shapes, and the refusals in the API's error shape
        assertThat(paths.get("/api/functions").get("post").get("requestBody").toString()).contains("FunctionRequest");
        assertThat(paths.get("/api/load-tests").get("post").get("requestBody").toString()).contains("LoadTestRequest");
        assertThat(paths.get("/api/functions/{id}/execute").get("post").get("responses").propertyNames())
                .contains("200", "202", "400", "404", "409", "413", "503");
        assertThat(paths.get("/api/functions").get("post").get("responses").get("400").toString()).contains("ApiError");
        assertThat(doc.body().get("components").get("schemas").propertyNames()).contains("ApiError", "FieldError");
        // every call presents a key, and the UI can take it
        assertThat(doc.body().get("components").get("securitySchemes").get("apiKey").get("scheme").asString())
                .isEqualTo("bearer");
        assertThat(paths.get("/api/functions").get("get").get("responses").propertyNames()).contains("401");

        browser.get(base + "/");
        wait.until(ExpectedConditions.elementToBeClickable(By.cssSelector("a[data-nav=api]"))).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector(".swagger-ui .title"),
                "S3 for Compute API"));
        wait.until(ExpectedConditions.presenceOfElementLocated(
                By.xpath("//*[contains(@class,'opblock-summary-path') and normalize-space()='/api/load-tests']")));
        screenshot("api");
    }

    @Test
    @Order(7)
    void theConsoleSaysWhenItIsOfflineAndReconnectsByItselfAfterARestart() {
        browser.get(base + "/#/monitoring");
        wait.until(ExpectedConditions.textToBe(By.id("live-status"), "live"));
        cluster.restartMonitor(() ->
                wait.until(ExpectedConditions.textToBe(By.id("live-status"), "offline: reconnecting…")));
        waiting(Duration.ofSeconds(60)).until(ExpectedConditions.textToBe(By.id("live-status"), "live"));
        // and the figures flow again: the chart's newest point moves on
        String before = browser.findElement(By.id("throughput-chart")).getAttribute("data-last");
        wait.until(d -> !String.valueOf(d.findElement(By.id("throughput-chart")).getAttribute("data-last")).equals(before));
        assertThat(browser.findElement(By.id("m-instances")).getText()).matches("\\d+ / (\\d+|–)");
    }

    private int points(String chartId) {
        String value = browser.findElement(By.id(chartId)).getAttribute("data-points");
        return value == null ? 0 : Integer.parseInt(value);
    }

    private void setCode(String code) {
        js("document.querySelector('.CodeMirror').CodeMirror.setValue(arguments[0])", code);
    }

    /** The rows' text as a person reads it, in one go: the page may re-render a list between two reads. */
    @SuppressWarnings("unchecked")
    private List<String> rowsText(String css) {
        return (List<String>) js("return [...document.querySelectorAll(arguments[0])].map(e => e.innerText.trim())", css);
    }

    private Object js(String script, Object... args) {
        return ((JavascriptExecutor) browser).executeScript(script, args);
    }

    @SuppressWarnings("unchecked")
    private List<String> failedRequests() {
        return (List<String>) js("return performance.getEntriesByType('resource')"
                + ".filter(e => e.responseStatus >= 400).map(e => e.name + ' ' + e.responseStatus)");
    }

    private List<String> browserErrors() {
        return browser.manage().logs().get(LogType.BROWSER).getAll().stream()
                .filter(e -> e.getLevel().intValue() >= Level.SEVERE.intValue())
                .map(LogEntry::getMessage)
                .toList();
    }

    private void screenshot(String name) {
        js("window.scrollTo(0, 0)");
        try {
            Files.createDirectories(SCREENSHOTS);
            File shot = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE);
            Files.copy(shot.toPath(), SCREENSHOTS.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A screenshot of one part of the page. */
    private void screenshotOf(String name, WebElement element) {
        js("arguments[0].scrollIntoView()", element);
        try {
            Files.createDirectories(SCREENSHOTS);
            File shot = element.getScreenshotAs(OutputType.FILE);
            Files.copy(shot.toPath(), SCREENSHOTS.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Path tempDir(String prefix) {
        try {
            return Files.createTempDirectory(prefix);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
