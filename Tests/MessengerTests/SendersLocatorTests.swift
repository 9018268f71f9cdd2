import Messenger
import Testing

@Suite("Routing")
struct SendersLocatorTests {
    let locator = SendersLocator(
        routing: ["App.SendMail": ["mail"], "App.*": ["async"], "App.Report.*": ["reports"], "*": ["default"]],
        senders: [:]
    )

    @Test("the exact name wins, then the longest prefix, then *", arguments: [
        ("App.SendMail", ["mail"]), ("App.Other", ["async"]), ("App.Report.Daily", ["reports"]), ("Lib.Thing", ["default"]),
    ])
    func precedence(name: String, expected: [String]) {
        #expect(locator.transportNames(forMessageName: name) == expected)
    }

    @Test("with no matching key, a message is not routed (handled synchronously)")
    func unrouted() {
        #expect(SendersLocator(routing: ["App.X": ["a"]], senders: [:]).transportNames(forMessageName: "App.Y").isEmpty)
    }
}
