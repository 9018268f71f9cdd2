import Foundation
import MessengerPostgres

/// What the table's NOTIFY trigger costs many processes dispatching at once: pgbench clients each
/// storing one message per transaction, with the trigger as it is, as it was (every transaction
/// notifies), and without any, alternated.
enum NotifyBenchmarks {
    enum Variant: String, CaseIterable {
        case current = "trigger: one notifying transaction per queue at a time"
        case everyTransaction = "trigger as before: every transaction notifies"
        case none = "reference: no trigger"
    }

    static func section(url: String, rounds: Int = 3) async throws {
        guard let pgbench = pgbenchPath() else {
            print("\nNOTIFY under concurrent dispatch: skipped (pgbench not found; scripts/benchmark sets MESSENGER_TEST_POSTGRES_BIN)")
            return
        }
        let name = PostgresBenchmarks.table("notify")
        let queue = try PostgresBenchmarks.transport(url: url, table: name)
        try await queue.setup()
        let admin = queue.connection
        let currentFunction = try await admin.query("SELECT pg_get_functiondef(to_regproc($1))", [.text("\(name)_notify")]).rows[0][0] ?? ""
        let script = FileManager.default.temporaryDirectory.appendingPathComponent("notify-bench-\(getpid()).sql")
        try "INSERT INTO \(name) (body, headers, queue_name, created_at, available_at) VALUES ('{\"id\":1}', '{\"type\":\"Bench.Message\"}', 'bench', now(), now());\n"
            .write(to: script, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: script) }

        var table = BenchmarkTable()
        // Sized to a few seconds a run (`-t`, not `-T`: pgbench times `-T` with SIGALRM, which a child
        // of this process may have blocked).
        for (clients, total) in [(1, 15_000), (16, 60_000), (64, 96_000)] {
            var tps: [Variant: [Double]] = [:]
            for _ in 0..<rounds {
                for variant in Variant.allCases {
                    switch variant {
                    case .current: try await admin.execute("\(currentFunction); ALTER TABLE \(name) ENABLE TRIGGER \(name)_notify")
                    case .everyTransaction: try await admin.execute("\(everyTransactionFunction(name)); ALTER TABLE \(name) ENABLE TRIGGER \(name)_notify")
                    case .none: try await admin.execute("ALTER TABLE \(name) DISABLE TRIGGER \(name)_notify")
                    }
                    try await admin.execute("TRUNCATE \(name)")
                    tps[variant, default: []].append(try run(pgbench, script: script.path, clients: clients, transactions: total / clients, url: url))
                }
            }
            let reference = MetricsBenchmarks.median(tps[.none] ?? [])
            for variant in Variant.allCases {
                let value = MetricsBenchmarks.median(tps[variant] ?? [])
                let share = variant == .none ? "" : String(format: " (%.0f %% of no trigger)", value / reference * 100)
                table.add(variant.rawValue, "\(clients) client\(clients > 1 ? "s" : ""), \(total) rows, one per transaction, median of \(rounds)",
                          String(format: "%.0f tps", value) + share)
            }
        }
        await queue.close()
        await PostgresBenchmarks.drop(url: url, table: name)
        print("\nNOTIFY under concurrent dispatch: pgbench clients storing one message per transaction into a transport's table\n")
        print(table.render())
    }

    /// The trigger function of the versions before: every transaction that stores due rows notifies.
    static func everyTransactionFunction(_ table: String) -> String {
        """
        CREATE OR REPLACE FUNCTION \(table)_notify() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('\(table)', q.queue_name) FROM (SELECT DISTINCT queue_name FROM new_rows WHERE available_at <= now()) q;
            RETURN NULL;
        END $$
        """
    }

    static func pgbenchPath() -> String? {
        let folders = [ProcessInfo.processInfo.environment["MESSENGER_TEST_POSTGRES_BIN"]].compactMap { $0 }
            + ((try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []).sorted().reversed().map { "/usr/lib/postgresql/\($0)/bin" }
        return folders.map { "\($0)/pgbench" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Transactions per second of one pgbench run.
    static func run(_ pgbench: String, script: String, clients: Int, transactions: Int, url: String) throws -> Double {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: pgbench)
        process.arguments = ["-n", "-f", script, "-c", String(clients), "-j", String(min(2, clients)), "-t", String(transactions), url]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("tps = ") }),
              let value = Double(line.dropFirst(6).prefix { $0 != " " }) else {
            throw NotifyBenchmarkError(description: "pgbench said: \(text)")
        }
        return value
    }
}

struct NotifyBenchmarkError: Error, CustomStringConvertible {
    let description: String
}
