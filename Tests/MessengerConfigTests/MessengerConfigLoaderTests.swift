import Messenger
import MessengerConfig
import MessengerTestSupport
import Testing

@Suite("messenger.yaml")
struct MessengerConfigLoaderTests {
    let environment = Environment(["MESSENGER_TRANSPORT_DSN": "sqlite://var/messenger.sqlite"])

    func parse(_ yaml: String, _ environment: Environment? = nil) throws -> MessengerConfiguration {
        try MessengerConfigLoader.parse(yaml, file: "config/messenger.yaml", environment: environment ?? self.environment)
    }

    func error(_ yaml: String, _ environment: Environment? = nil) -> ConfigError? {
        #expect(throws: ConfigError.self) { try parse(yaml, environment) }
    }

    @Test("a full configuration: transports as DSN or mapping, options, retry strategy, routing, failure transport")
    func full() throws {
        let config = try parse("""
            messenger:
              failure_transport: failed
              transports:
                async:
                  dsn: '%env(MESSENGER_TRANSPORT_DSN)%'
                  options: { queue_name: bulk, redeliver_timeout: 60 }
                  retry_strategy: { max_retries: 5, delay: 250, multiplier: 3, max_delay: 10000, jitter: 0 }
                mail:
                  dsn: 'sqlite://var/messenger.sqlite?queue_name=mail'
                  failure_transport: failed_mail
                failed: 'sqlite://var/messenger.sqlite?queue_name=failed'
                failed_mail: 'in-memory://'
                sync: 'sync://'
              routing:
                App.SendMail: mail
                App.Report: [async, mail]
                '*': async
            """)
        #expect(config.transports.keys.sorted() == ["async", "failed", "failed_mail", "mail", "sync"])
        let async = try #require(config.transports["async"])
        #expect(async.dsn.raw == "sqlite://var/messenger.sqlite")
        #expect(async.options == ["queue_name": "bulk", "redeliver_timeout": "60"])
        #expect(async.retryStrategy == MultiplierRetryStrategy(maxRetries: 5, delayMilliseconds: 250, multiplier: 3, maxDelayMilliseconds: 10000, jitter: 0))
        #expect(config.transports["mail"]?.retryStrategy == MultiplierRetryStrategy())
        #expect(config.routing == ["App.SendMail": ["mail"], "App.Report": ["async", "mail"], "*": ["async"]])
        #expect(config.failureTransport(for: "async") == "failed")
        #expect(config.failureTransport(for: "mail") == "failed_mail")
        #expect(config.failureTransport(for: "failed") == nil)
    }

    @Test("Symfony's framework: messenger: wrapper is accepted; an empty or missing section means no transports")
    func wrapperAndEmpty() throws {
        let wrapped = try parse("framework:\n  messenger:\n    transports:\n      a: 'in-memory://'\n")
        #expect(wrapped.transports.keys.sorted() == ["a"])
        #expect(try parse("").transports.isEmpty)
        #expect(try parse("messenger:\n").routing.isEmpty)
    }

    @Test("malformed YAML names the file and the line")
    func malformed() {
        let failure = error("messenger:\n  transports:\n    async: [unclosed\n  routing: x\n")
        #expect(failure?.file == "config/messenger.yaml")
        #expect(failure?.line != nil)
        #expect(failure?.description.contains("malformed YAML") == true)
        #expect(failure?.description.hasPrefix("config/messenger.yaml:") == true)
    }

    @Test("an unknown key names itself, its path and its line, and the keys allowed there")
    func unknownKey() {
        let failure = error("messenger:\n  transports:\n    async:\n      dsn: 'in-memory://'\n      retry_strategy:\n        max_retry: 3\n")
        #expect(failure?.line == 6)
        #expect(failure?.key == "messenger.transports.async.retry_strategy.max_retry")
        #expect(failure?.message.contains("unknown key \"max_retry\"") == true)
        #expect(failure?.message.contains("max_retries") == true)
    }

    @Test("serializer: symfony with its type_map (classes and namespace prefixes); without one, or an unknown serializer, an error naming the line")
    func symfonySerializer() throws {
        let config = try parse(#"""
            messenger:
              transports:
                legacy:
                  dsn: 'in-memory://'
                  serializer: symfony
                  type_map: { 'App\Message\': 'App.', 'App\Mail\Mail': App.SendMail }
                async: 'in-memory://'
            """#)
        #expect(config.transports["legacy"]?.serializer == .symfony(SymfonyTypeMap(["App\\Message\\": "App.", "App\\Mail\\Mail": "App.SendMail"])))
        #expect(config.transports["async"]?.serializer == .json)
        let missing = error("messenger:\n  transports:\n    legacy:\n      dsn: 'in-memory://'\n      serializer: symfony\n")
        #expect(missing?.message.contains("serializer: symfony but no type_map") == true)
        let unknown = error("messenger:\n  transports:\n    legacy:\n      dsn: 'in-memory://'\n      serializer: php\n")
        #expect(unknown?.line == 5 && unknown?.message.contains("unknown serializer \"php\"; serializers: json, symfony") == true)
        let stray = error("messenger:\n  transports:\n    legacy:\n      dsn: 'in-memory://'\n      type_map: { A: B }\n")
        #expect(stray?.message.contains("type_map applies to serializer: symfony only") == true)
    }

    @Test("routing to an unknown transport is an error naming it and the configured ones")
    func unknownTransport() {
        let failure = error("messenger:\n  transports:\n    async: 'in-memory://'\n  routing:\n    App.SendMail: asynk\n")
        #expect(failure?.line == 5)
        #expect(failure?.key == "messenger.routing.App.SendMail")
        #expect(failure?.message.contains("unknown transport \"asynk\"; configured transports: async") == true)
    }

    @Test("an unknown failure transport is an error")
    func unknownFailureTransport() {
        let failure = error("messenger:\n  failure_transport: failed\n  transports:\n    async: 'in-memory://'\n")
        #expect(failure?.key == "messenger.failure_transport")
    }

    @Test("a malformed DSN is an error at its key, with the password hidden")
    func malformedDSN() {
        let failure = error("messenger:\n  transports:\n    async: 'postgresql:/app:hunter2@db'\n")
        #expect(failure?.key == "messenger.transports.async")
        #expect(failure?.description.contains("hunter2") == false)
    }

    @Test("out-of-range retry values are errors")
    func badRetryValues() {
        #expect(error("messenger:\n  transports:\n    a:\n      dsn: 'in-memory://'\n      retry_strategy: { jitter: 2 }\n")?.key == "messenger.transports.a.retry_strategy.jitter")
        #expect(error("messenger:\n  transports:\n    a:\n      dsn: 'in-memory://'\n      retry_strategy: { max_retries: lots }\n")?.message.contains("lots") == true)
    }

    @Test("an unset environment variable is an error naming it and where it is used")
    func unsetVariable() {
        let failure = error("messenger:\n  transports:\n    async: '%env(QUEUE_DSN)%'\n", Environment([:]))
        #expect(failure?.key == "messenger.transports.async")
        #expect(failure?.message.contains("QUEUE_DSN is not set") == true)
    }
}

@Suite("Environment and .env files")
struct EnvironmentTests {
    @Test("the process environment wins over .env.local, which wins over .env")
    func precedence() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write(".env", "A=from-env\nB=from-env\nC=from-env\n")
        try directory.write(".env.local", "B=from-local\nC=from-local\n")
        let environment = try Environment.load(projectDirectory: directory.path, process: ["C": "from-process"])
        #expect(environment["A"] == "from-env")
        #expect(environment["B"] == "from-local")
        #expect(environment["C"] == "from-process")
    }

    @Test("dotenv syntax: comments, export, quotes, inline comments")
    func syntax() throws {
        let values = try DotEnvParser.parse("""
            # comment
            export A=1
            B="two words"
            C='single # not a comment'
            D=plain # a comment

            E=
            """, file: ".env")
        #expect(values == ["A": "1", "B": "two words", "C": "single # not a comment", "D": "plain", "E": ""])
    }

    @Test("a line that is not NAME=value is an error with its line")
    func badLine() {
        let error = #expect(throws: ConfigError.self) { try DotEnvParser.parse("A=1\nnot a pair\n", file: ".env") }
        #expect(error?.description == ".env:2: expected NAME=value, got \"not a pair\"")
    }
}
