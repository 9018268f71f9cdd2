import Messenger
import MessengerConfig
import MessengerTestSupport
import Testing

@Suite("messenger.yaml limits:")
struct LimitsConfigTests {
    let environment = Environment(["RATE": "10"])

    func parse(_ limits: String) throws -> MessengerConfiguration {
        try MessengerConfigLoader.parse("messenger:\n  transports:\n    async: 'in-memory://'\n  limits:\n" + limits, file: "config/messenger.yaml", environment: environment)
    }

    func error(_ limits: String) -> ConfigError? {
        #expect(throws: ConfigError.self) { try parse(limits) }
    }

    @Test("keys by wire name, prefix and queue; concurrency, rate_limit with its interval, group_failure")
    func shapes() throws {
        let configuration = try parse("""
                App.ProcessAttachment: { concurrency: 1 }
                App.FetchApogeeEnrollment: { rate_limit: { limit: '%env(RATE)%', interval: 1s } }
                'App.Consolidate.*': { concurrency: 4, group_failure: continue }
                'queue:async': { concurrency: 8, rate_limit: { limit: 100, interval: 1 minute } }
                App.Fast: { rate_limit: { limit: 5, interval: 250ms } }
            """)
        #expect(configuration.limits.rules == [
            FlowRule(.type("App.ProcessAttachment"), concurrency: 1),
            FlowRule(.type("App.FetchApogeeEnrollment"), rateLimit: RateLimit(limit: 10, intervalMilliseconds: 1000)),
            FlowRule(.prefix("App.Consolidate."), concurrency: 4, holdsGroupOnFailure: false),
            FlowRule(.queue("async"), concurrency: 8, rateLimit: RateLimit(limit: 100, intervalMilliseconds: 60_000)),
            FlowRule(.type("App.Fast"), rateLimit: RateLimit(limit: 5, intervalMilliseconds: 250)),
        ])
        let limits = configuration.limits
        #expect(limits.rules(forType: "App.Consolidate.Dossier", queue: "async").map(\.key) == ["App.Consolidate.*", "queue:async"])
        #expect(limits.controls(type: "App.SendMail", queue: "async_mail", grouped: false) == false)
        #expect(limits.controls(type: "App.SendMail", queue: "async_mail", grouped: true))
        #expect(limits.controls(type: "App.SendMail", queue: "async", grouped: false))
        #expect(limits.holdsGroupOnFailure(type: "App.Consolidate.Dossier", queue: "async") == false)
        #expect(limits.holdsGroupOnFailure(type: "App.ProcessAttachment", queue: "async"))
    }

    @Test("unknown keys, bad values and malformed keys are errors naming the file, the line and the key")
    func errors() {
        var failure = error("    App.X: { concurency: 1 }\n")
        #expect(failure?.line == 5)
        #expect(failure?.key == "messenger.limits.App.X.concurency")
        #expect(failure?.message.contains("unknown key \"concurency\"; expected one of: concurrency, rate_limit, group_failure") == true)
        #expect(failure?.description.hasPrefix("config/messenger.yaml:5") == true)

        failure = error("    App.X:\n      concurrency: 0\n")
        #expect(failure?.line == 6)
        #expect(failure?.key == "messenger.limits.App.X.concurrency")
        #expect(failure?.message.contains("expected a whole number from 1 to 100000, got \"0\"") == true)

        failure = error("    App.X: { rate_limit: { limit: 10, interval: soon } }\n")
        #expect(failure?.key == "messenger.limits.App.X.rate_limit.interval")
        #expect(failure?.message.contains("got \"soon\"") == true)

        failure = error("    App.X: { rate_limit: { limit: 10 } }\n")
        #expect(failure?.key == "messenger.limits.App.X.rate_limit")
        #expect(failure?.message.contains("needs interval") == true)

        failure = error("    'App.*X': { concurrency: 1 }\n")
        #expect(failure?.key == "messenger.limits.App.*X")
        #expect(failure?.message.contains("is not a limits key") == true)

        failure = error("    'queue:': { concurrency: 1 }\n")
        #expect(failure?.message.contains("is not a limits key") == true)

        failure = error("    App.X: { group_failure: skip }\n")
        #expect(failure?.message.contains("expected hold") == true)

        failure = error("    App.X: {}\n")
        #expect(failure?.message.contains("sets no limit") == true)
    }

    @Test("flow selection: one unit of room per matching rule, one message per group, in the candidates' order")
    func selection() {
        let rules = [FlowRule(.type("A"), concurrency: 2), FlowRule(.prefix("B."), rateLimit: RateLimit(limit: 1, intervalMilliseconds: 1000))]
        let candidates = [
            FlowSelection.Candidate(id: 1, type: "A", group: nil, queue: "q"), FlowSelection.Candidate(id: 2, type: "B.x", group: "g", queue: "q"),
            FlowSelection.Candidate(id: 3, type: "B.y", group: nil, queue: "q"), FlowSelection.Candidate(id: 4, type: "C", group: "g", queue: "q"),
            FlowSelection.Candidate(id: 5, type: "A", group: nil, queue: "q"), FlowSelection.Candidate(id: 6, type: "A", group: nil, queue: "q"),
            FlowSelection.Candidate(id: 7, type: "C", group: "g", queue: "other"),
        ]
        let picked = FlowSelection.pick(candidates, rules: rules, room: [1, 1], limit: 10)
        #expect(picked.ids == [1, 2, 7])
        #expect(picked.used == [1, 1])
        #expect(FlowSelection.pick(candidates, rules: rules, room: [5, 5], limit: 2).ids == [1, 2])
        #expect(FlowSelection.room(rules[0], running: 3, tokens: nil) == 0)
        #expect(FlowSelection.room(rules[1], running: 0, tokens: 0.99) == 0)
        // A spent rate says when its next token comes; a full count, a short recheck.
        #expect(FlowSelection.nextLook(earliestDue: 1000, now: 1000, rules: rules, room: [1, 0], tokens: [1: 0.5]) == 1500)
        #expect(FlowSelection.nextLook(earliestDue: 1000, now: 1000, rules: rules, room: [0, 1], tokens: [1: 1]) == 1000 + FlowSelection.recheckMilliseconds)
        #expect(FlowSelection.nextLook(earliestDue: 9000, now: 1000, rules: rules, room: [0, 0], tokens: [1: 0]) == 9000)
        #expect(FlowSelection.nextLook(earliestDue: nil, now: 1000, rules: rules, room: [0, 0], tokens: [:]) == nil)
    }
}
