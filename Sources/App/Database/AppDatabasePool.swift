/// A few connections to the application's database for concurrent requests or handlers: each caller
/// gets one of its own for its statements and transaction (a connection holds one transaction at a
/// time), waits while all are taken, and gives it back. With `migrates`, the schema is migrated at
/// the first connection (a server that may start before `database:migrate` ran).
public actor AppDatabasePool {
    private let environment: AppEnvironment
    private let size: Int
    private let migrates: Bool
    private var idle: [AppDatabase] = []
    private var opened = 0
    private var migrated: Bool
    private var waiters: [CheckedContinuation<AppDatabase, Never>] = []

    public init(environment: AppEnvironment, size: Int = 4, migrates: Bool = true) {
        self.environment = environment
        self.size = max(1, size)
        self.migrates = migrates
        migrated = !migrates
    }

    /// Runs `body` with a connection of its own.
    public func withConnection<T: Sendable>(_ body: @Sendable (AppDatabase) async throws -> T) async throws -> T {
        let database = try await acquire()
        do {
            let result = try await body(database)
            release(database)
            return result
        } catch {
            release(database)
            throw error
        }
    }

    private func acquire() async throws -> AppDatabase {
        if let database = idle.popLast() { return database }
        guard opened < size else { return await withCheckedContinuation { waiters.append($0) } }
        opened += 1
        do {
            let database = try environment.openDatabase()
            if !migrated {
                try await AppMigrator.migrate(database)
                migrated = true
            }
            return database
        } catch {
            opened -= 1
            throw error
        }
    }

    private func release(_ database: AppDatabase) {
        if waiters.isEmpty { idle.append(database) } else { waiters.removeFirst().resume(returning: database) }
    }

    /// Closes the idle connections.
    public func close() async {
        for database in idle { await database.close() }
        idle = []
    }
}
