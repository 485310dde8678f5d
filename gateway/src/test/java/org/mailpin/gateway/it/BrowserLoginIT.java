package org.mailpin.gateway.it;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.TimeoutException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Webmail through the gateway in headless Chromium: a user of each backend logs in with
 * Roundcube's elastic login form, gets the INBOX message list, and logs out again. Screenshots
 * of each INBOX go to gateway/target/screenshots/USER.png.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BrowserLoginIT {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final Path SCREENSHOTS = Topology.REPO.resolve("gateway/target/screenshots");

    private static final By LOGIN_USER = By.id("rcmloginuser");
    private static final By LOGIN_PASSWORD = By.id("rcmloginpwd");
    private static final By LOGIN_SUBMIT = By.id("rcmloginsubmit");
    // Roundcube's app.js gives each message row of the list the class "message".
    private static final By MESSAGE_ROWS = By.cssSelector("table#messagelist tbody tr.message");
    private static final By LOGOUT = By.cssSelector("#taskmenu a.logout");
    // Roundcube's display_message() adds div.TYPE to #messagestack, and a failed login is a warning.
    private static final By ERROR_OR_WARNING = By.cssSelector("#messagestack div.error, #messagestack div.warning");

    Topology topology;

    @BeforeAll
    void startTopology() throws Exception {
        topology = Topology.start("separate");
    }

    @AfterAll
    void stopTopology() throws Exception {
        if (topology != null) {
            topology.close();
        }
    }

    @ParameterizedTest(name = "user of {0}")
    @ValueSource(strings = {"be1", "be2"})
    void loginShowsInboxThenLogout(String backend) throws Exception {
        String user = firstUserOn(backend);
        String other = backend.equals("be1") ? "be2" : "be1";
        // The demo script's start-up check and earlier tests log in too, so only later lines count.
        int ownerLogStart = topology.backendLog(backend).length();
        int otherLogStart = topology.backendLog(other).length();
        Path profile = Files.createTempDirectory("mailpin-chromium-");
        WebDriver driver = null;
        try {
            driver = HeadlessChromium.start(profile);
            WebDriverWait wait = new WebDriverWait(driver, WAIT);

            driver.get(topology.baseUrl());
            wait.until(ExpectedConditions.visibilityOfElementLocated(LOGIN_USER)).sendKeys(user);
            driver.findElement(LOGIN_PASSWORD).sendKeys(passwordOf(user));
            driver.findElement(LOGIN_SUBMIT).click();
            List<WebElement> rows = waitForMessageRows(driver, wait, user);
            Files.createDirectories(SCREENSHOTS);
            Path screenshot = SCREENSHOTS.resolve(user + ".png");
            Files.write(screenshot, ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));

            String mailUrl = driver.getCurrentUrl();
            String ownerLog = topology.backendLog(backend).substring(ownerLogStart);
            String otherLog = topology.backendLog(other).substring(otherLogStart);
            assertFalse(rows.isEmpty(), user + ": INBOX message list is empty");
            assertTrue(mailUrl.startsWith(topology.baseUrl()), user + ": mail view left the gateway: " + mailUrl);
            assertTrue(mailUrl.contains("_task=mail"), user + ": login did not open the mail view: " + mailUrl);
            assertTrue(ownerLog.contains("Login: user=<" + user + ">"), user + ": no IMAP login in " + backend + ".log");
            assertFalse(otherLog.contains("Login: user=<" + user + ">"), user + ": IMAP login on " + other + " too");

            wait.until(ExpectedConditions.elementToBeClickable(LOGOUT)).click();
            WebElement loginUser = waitForLoginForm(driver, wait, user + " after logout");
            assertTrue(loginUser.isDisplayed(), user + ": login form hidden after logout");
            assertTrue(driver.findElement(LOGIN_PASSWORD).isDisplayed(), user + ": password field hidden after logout");

            driver.get(topology.baseUrl() + "?_task=mail&_mbox=INBOX");
            waitForLoginForm(driver, wait, user + " opening the mail view after logout");
            assertTrue(driver.findElements(MESSAGE_ROWS).isEmpty(), user + ": message list served after logout");
        } finally {
            if (driver != null) {
                driver.quit();
            }
            HeadlessChromium.deleteProfile(profile);
        }
    }

    /** Waits for the message list. An error or warning, such as a failed login, ends the wait early. */
    private static List<WebElement> waitForMessageRows(WebDriver driver, WebDriverWait wait, String user) {
        try {
            wait.until(ExpectedConditions.or(
                    ExpectedConditions.numberOfElementsToBeMoreThan(MESSAGE_ROWS, 0),
                    ExpectedConditions.visibilityOfElementLocated(ERROR_OR_WARNING)));
        } catch (TimeoutException e) {
            throw new AssertionError(user + ": no INBOX message row within " + WAIT.toSeconds() + " s at "
                    + driver.getCurrentUrl() + "; page text:\n" + pageText(driver), e);
        }
        List<WebElement> rows = driver.findElements(MESSAGE_ROWS);
        List<WebElement> errors = driver.findElements(ERROR_OR_WARNING);
        if (rows.isEmpty() && !errors.isEmpty()) {
            throw new AssertionError(user + ": Roundcube displays \"" + errors.get(0).getText() + "\" at "
                    + driver.getCurrentUrl());
        }
        return rows;
    }

    private static WebElement waitForLoginForm(WebDriver driver, WebDriverWait wait, String context) {
        try {
            return wait.until(ExpectedConditions.visibilityOfElementLocated(LOGIN_USER));
        } catch (TimeoutException e) {
            throw new AssertionError(context + ": no login form within " + WAIT.toSeconds() + " s at "
                    + driver.getCurrentUrl() + "; page text:\n" + pageText(driver), e);
        }
    }

    /** Returns the page title and the first 2000 characters of its visible text, for failure messages. */
    private static String pageText(WebDriver driver) {
        String text = driver.findElement(By.tagName("body")).getText();
        return driver.getTitle() + "\n" + text.substring(0, Math.min(2000, text.length()));
    }

    private String firstUserOn(String backend) {
        for (int i = 1; i <= Topology.USERS; i++) {
            String user = Topology.user(i);
            if (topology.gateway.director().ringChoice(user).orElseThrow().id().equals(backend)) {
                return user;
            }
        }
        throw new IllegalStateException("no demo user maps to " + backend);
    }

    /** Returns the demo password of userNN@example.test, which is secretNN. */
    private static String passwordOf(String user) {
        return "secret" + user.substring(4, 6);
    }
}
