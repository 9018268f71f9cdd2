"""The dashboard in a real browser (Debian's chromium, headless, through chromium-driver).

Run by the Swift test `DashboardProcessTests`, which starts `app serve` and a worker on a throw-away
project and passes: BASE_URL USER PASSWORD ARTIFACTS_DIR FAILED_ID RUNNING_ID. Logs in, retries the
failed message and sees it complete, cancels the running probe, pauses and resumes queue `async`,
runs schedule `heartbeat` now; saves a screenshot of every page it sees in ARTIFACTS_DIR. Exits 0
when every step held, 1 with the step that did not otherwise.
"""

import os
import re
import sys

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

BASE, USER, PASSWORD, ARTIFACTS, FAILED_ID, RUNNING_ID = sys.argv[1:7]
TIMEOUT = 30


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000", "--lang=en"):
        options.add_argument(argument)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


class Walkthrough:
    def __init__(self, driver):
        self.driver = driver
        # The page refreshes its main part every few seconds: an element found just before may be gone.
        self.wait = WebDriverWait(driver, TIMEOUT, ignored_exceptions=(StaleElementReferenceException,))
        self.step = "start"
        self.shots = 0

    def shot(self, name):
        self.shots += 1
        self.driver.execute_script("window.scrollTo(0, 0)")
        self.driver.save_screenshot(os.path.join(ARTIFACTS, f"{self.shots:02d}-{name}.png"))

    def until(self, what, condition):
        self.step = what
        return self.wait.until(condition, message=what)

    def text_of(self, css):
        return self.driver.find_element(By.CSS_SELECTOR, css).text

    def click(self, css, confirm=False):
        self.press(css, lambda driver: driver.find_element(By.CSS_SELECTOR, css), confirm)

    def press(self, what, find, confirm=False):
        """Clicks what `find` returns, finding it again if a refresh replaced it first."""
        self.until(f"a click on {what}", lambda driver: find(driver).click() or True)
        if confirm:
            self.until(f"the confirmation of {what}", expected_conditions.alert_is_present()).accept()

    def badge_is(self, status):
        return lambda driver: driver.find_element(By.CSS_SELECTOR, "#main .badge").text == status

    def log_in(self):
        self.driver.get(BASE + "/")
        self.until("the redirection to the login form", expected_conditions.url_contains("/login"))
        self.shot("login")
        # With the keyboard alone: the name field has the focus, Tab goes to the password, Enter sends.
        self.driver.switch_to.active_element.send_keys(USER, Keys.TAB, PASSWORD, Keys.ENTER)
        self.until("the overview after logging in", expected_conditions.text_to_be_present_in_element((By.CSS_SELECTOR, "#main h1"), "Overview"))
        self.shot("overview")

    def retry_failed(self):
        self.driver.get(BASE + "/messages?status=failed")
        self.until("the failed message in the list", expected_conditions.presence_of_element_located((By.CSS_SELECTOR, f"#main a[href$='/messages/{FAILED_ID}']")))
        self.shot("messages-failed")
        self.click(f"#main a[href$='/messages/{FAILED_ID}']")
        self.until("the failed message's page", self.badge_is("failed"))
        assert "failed on purpose" in self.text_of("#main pre.error"), "the error is not shown"
        self.shot("message-failed")
        self.click("#main button[data-done=Retried]")
        self.until("the retried message completed", self.badge_is("completed"))
        assert self.text_of("#error-heading") == "Last failure (before a retry)", "the old error is shown as the message's state"
        self.shot("message-retried")

    def cancel_running(self):
        self.driver.get(BASE + f"/messages/{RUNNING_ID}")
        self.until("the running probe", self.badge_is("running"))
        self.until("the running probe's progress", expected_conditions.presence_of_element_located((By.ID, "progress")))
        self.shot("message-running")
        self.click("#main button[data-done='Cancel sent']", confirm=True)
        # The API answered 202: the worker was asked to stop it while it ran.
        self.until("the notice of the cancel", expected_conditions.text_to_be_present_in_element((By.ID, "notice"), "Cancel sent (running)"))
        self.until("the probe cancelled", self.badge_is("cancelled"))
        self.shot("message-cancelled")

    def row(self, name):
        """The table row whose second cell is `name`."""
        rows = self.driver.find_elements(By.CSS_SELECTOR, "#main tbody tr")
        return next(row for row in rows if row.find_elements(By.TAG_NAME, "td")[1].text == name)

    def queue_row(self):
        return self.row("async")

    def pause_and_resume(self):
        self.driver.get(BASE + "/queues")
        self.until("the queues page", expected_conditions.text_to_be_present_in_element((By.CSS_SELECTOR, "#main h1"), "Queues"))
        self.press("Pause", lambda driver: self.queue_row().find_element(By.XPATH, ".//button[text()='Pause']"))
        self.until("queue async paused", lambda driver: self.queue_row().find_elements(By.CSS_SELECTOR, ".badge.paused"))
        self.until("the notice of the pause", expected_conditions.text_to_be_present_in_element((By.ID, "notice"), "Paused async"))
        self.shot("queue-paused")
        self.press("Resume", lambda driver: self.queue_row().find_element(By.XPATH, ".//button[text()='Resume']"))
        self.until("queue async resumed", lambda driver: not self.queue_row().find_elements(By.CSS_SELECTOR, ".badge.paused"))
        self.shot("queue-resumed")

    def run_schedule(self):
        self.driver.get(BASE + "/schedules")
        self.until("the schedules page", expected_conditions.text_to_be_present_in_element((By.CSS_SELECTOR, "#main h1"), "Schedules"))
        self.shot("schedules")
        runs = self.row("heartbeat").find_elements(By.TAG_NAME, "td")[4].text.split("\n")
        assert len(runs) == 3 and all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d0 UTC", run) for run in runs), f"next runs read {runs}"
        self.press("Run now", lambda driver: self.row("heartbeat").find_element(By.XPATH, ".//button[text()='Run now']"), confirm=True)
        self.until("the notice of the dispatch", expected_conditions.text_to_be_present_in_element((By.ID, "notice"), "Dispatched heartbeat"))
        self.shot("schedule-run")

    def phone_and_dark(self):
        self.driver.set_window_size(390, 844)
        self.driver.get(BASE + "/")
        self.until("the overview on a phone", expected_conditions.text_to_be_present_in_element((By.CSS_SELECTOR, "#main h1"), "Overview"))
        width = self.driver.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1], f"the page is wider than a phone's screen: {width}"
        self.shot("overview-phone")
        light = self.driver.execute_script("return getComputedStyle(document.body).backgroundColor")
        self.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "dark"}]})
        dark = self.driver.execute_script("return getComputedStyle(document.body).backgroundColor")
        assert dark != light, f"the page ignores a dark colour scheme ({light})"
        self.shot("overview-dark")

    def workers(self):
        self.driver.get(BASE + "/workers")
        self.until("the worker in the list", expected_conditions.text_to_be_present_in_element((By.ID, "main"), "async"))
        self.shot("workers")


def main():
    os.makedirs(ARTIFACTS, exist_ok=True)
    driver = browser()
    walkthrough = Walkthrough(driver)
    try:
        walkthrough.log_in()
        walkthrough.retry_failed()
        walkthrough.cancel_running()
        walkthrough.pause_and_resume()
        walkthrough.run_schedule()
        walkthrough.workers()
        walkthrough.phone_and_dark()
    except (TimeoutException, AssertionError, StopIteration) as error:
        walkthrough.shot("failure")
        print(f"FAILED at {walkthrough.step}: {type(error).__name__} {error}; page {driver.current_url}", file=sys.stderr)
        return 1
    finally:
        driver.quit()
    print(f"OK {walkthrough.shots} screenshots")
    return 0


if __name__ == "__main__":
    sys.exit(main())
