// swift-tools-version:6.1
import PackageDescription

/// Settings every target shares: Swift 6 mode plus the upcoming features DESIGN.md asks for.
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "swift-messenger",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Messenger", targets: ["Messenger"]),
        .library(name: "MessengerSQLite", targets: ["MessengerSQLite"]),
        .library(name: "MessengerPostgres", targets: ["MessengerPostgres"]),
        .library(name: "Scheduler", targets: ["Scheduler"]),
        .library(name: "Mailer", targets: ["Mailer"]),
        .library(name: "MessengerConfig", targets: ["MessengerConfig"]),
        .library(name: "MessengerConsole", targets: ["MessengerConsole"]),
        .library(name: "MessengerHTTP", targets: ["MessengerHTTP"]),
        .library(name: "MessengerOpenTelemetry", targets: ["MessengerOpenTelemetry"]),
        .executable(name: "app", targets: ["AppMain"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.0"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.1.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.6.0"),
        // OTLP over HTTP only: the default traits pull in gRPC.
        .package(url: "https://github.com/swift-otel/swift-otel.git", from: "1.6.0", traits: ["OTLPHTTP"]),
        // `swift package generate-documentation` (scripts/docs): a build tool, nothing linked.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin.git", from: "1.4.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        // libharu renders the application's PDF documents (Debian ships no pkg-config file for it).
        .systemLibrary(
            name: "CHaru",
            providers: [.apt(["libhpdf-dev"])]
        ),
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        .target(
            name: "Mailer",
            dependencies: ["CCurl", "Messenger"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "Messenger",
            // The ecosystem's metrics and tracing APIs, no backend (the application bootstraps one), and
            // its service lifecycle.
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "MessengerSQLite",
            dependencies: ["Messenger", "Scheduler", "CSQLite", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
        .target(
            name: "MessengerPostgres",
            dependencies: ["Messenger", "Scheduler", "CLibPQ", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
        .target(
            name: "Scheduler",
            dependencies: [
                "Messenger", .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"), .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "MessengerConfig",
            dependencies: ["Messenger", "Scheduler", .product(name: "Yams", package: "Yams")],
            swiftSettings: strictSettings
        ),
        .target(
            name: "MessengerConsole",
            dependencies: [
                "Messenger", "MessengerConfig", "Scheduler",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "MessengerHTTP",
            dependencies: [
                "Messenger", "MessengerConfig", "MessengerConsole", "Scheduler",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdAuth", package: "hummingbird-auth"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            // Every asset is compiled into the binary: the dashboard works offline, from any folder.
            resources: [
                .embedInCode("Resources/openapi.yaml"), .embedInCode("Resources/dashboard.css"), .embedInCode("Resources/dashboard.js"),
                .embedInCode("Resources/templates/layout.mustache"), .embedInCode("Resources/templates/login.mustache"),
                .embedInCode("Resources/templates/overview.mustache"), .embedInCode("Resources/templates/queues.mustache"),
                .embedInCode("Resources/templates/messages.mustache"), .embedInCode("Resources/templates/message.mustache"),
                .embedInCode("Resources/templates/schedules.mustache"), .embedInCode("Resources/templates/workers.mustache"),
                .embedInCode("Resources/templates/error.mustache"), .embedInCode("Resources/templates/chart.mustache"),
            ],
            swiftSettings: strictSettings
        ),
        // swift-otel (and its HTTP client) in a target of its own: only the applications that export
        // spans build it.
        .target(
            name: "MessengerOpenTelemetry",
            dependencies: [
                .product(name: "OTel", package: "swift-otel"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "App",
            dependencies: [
                "Messenger", "Scheduler", "Mailer", "MessengerConfig", "MessengerConsole", "MessengerSQLite", "MessengerPostgres", "CHaru",
                .product(name: "Logging", package: "swift-log"), .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "AppHTTP",
            dependencies: [
                "App", "Messenger", "MessengerConsole", "MessengerHTTP",
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            resources: [.embedInCode("Resources/openapi.yaml")],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "AppMain",
            dependencies: [
                "App", "AppHTTP", "Mailer", "Messenger", "MessengerConsole", "MessengerHTTP", "MessengerOpenTelemetry", "MessengerSQLite", "MessengerPostgres",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // The documented example: a Hummingbird 2 server that dispatches in its routes and runs a
        // worker in the same process (compiled with the package, run by IntegrationTests).
        .executableTarget(
            name: "HummingbirdWorkerExample",
            dependencies: [
                "Messenger", "MessengerSQLite",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Examples/HummingbirdWorker",
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "MessengerBenchmarks",
            dependencies: [
                "Messenger", "MessengerSQLite", "MessengerPostgres", "Scheduler", .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"), .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            path: "Benchmarks",
            swiftSettings: strictSettings
        ),
        .target(
            name: "MessengerTestSupport",
            dependencies: [
                "Messenger", "Scheduler",
                .product(name: "MetricsTestKit", package: "swift-metrics"), .product(name: "InMemoryTracing", package: "swift-distributed-tracing"),
            ],
            path: "Tests/Support",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "MessengerTests",
            dependencies: [
                "Messenger", "MessengerTestSupport", .product(name: "Logging", package: "swift-log"),
                .product(name: "MetricsTestKit", package: "swift-metrics"), .product(name: "InMemoryTracing", package: "swift-distributed-tracing"),
                .product(name: "Tracing", package: "swift-distributed-tracing"), .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "MessengerSQLiteTests",
            dependencies: ["Messenger", "MessengerTestSupport", "MessengerSQLite", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "MessengerPostgresTests",
            dependencies: ["Messenger", "MessengerTestSupport", "MessengerPostgres", "CLibPQ", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "SchedulerTests",
            dependencies: [
                "Scheduler", "Messenger", "MessengerTestSupport", .product(name: "Logging", package: "swift-log"),
                .product(name: "MetricsTestKit", package: "swift-metrics"), .product(name: "InMemoryTracing", package: "swift-distributed-tracing"),
                .product(name: "Tracing", package: "swift-distributed-tracing"), .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "SchedulerStorageTests",
            dependencies: ["Scheduler", "Messenger", "MessengerTestSupport", "MessengerSQLite", "MessengerPostgres", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "AppTests",
            dependencies: ["App", "Mailer", "Messenger", "MessengerConfig", "MessengerTestSupport", "MessengerSQLite", "MessengerPostgres", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "MailerTests",
            dependencies: ["Mailer", "Messenger", "MessengerTestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "MessengerConfigTests",
            dependencies: ["Messenger", "MessengerTestSupport", "MessengerConfig", "Scheduler"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "TransportConformanceTests",
            dependencies: ["Messenger", "MessengerTestSupport", "MessengerSQLite", "MessengerPostgres"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "MessengerHTTPTests",
            dependencies: [
                "Messenger", "MessengerConsole", "MessengerConfig", "MessengerHTTP", "MessengerTestSupport", "MessengerSQLite", "Scheduler",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "AppHTTPTests",
            dependencies: [
                "App", "AppHTTP", "Mailer", "Messenger", "MessengerConsole", "MessengerConfig", "MessengerHTTP", "MessengerSQLite", "MessengerPostgres",
                "MessengerTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: ["App", "Messenger", "MessengerTestSupport", "MessengerSQLite", "MessengerPostgres", "MessengerConsole", "Scheduler"],
            swiftSettings: strictSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
