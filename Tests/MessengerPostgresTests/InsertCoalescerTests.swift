import Foundation
import Messenger
@testable import MessengerPostgres
import MessengerTestSupport
import Synchronization
import Testing

@Suite("Concurrent sends sharing commits")
struct InsertCoalescerTests {
    /// A store that numbers the rows it is given, records each statement's size, holds the first
    /// statement until `release`, and fails any statement that holds a row whose body is "bad".
    final class FakeStore: Sendable {
        let statements = Mutex<[Int]>([])
        let next = Mutex(0)
        let gate = Mutex<CheckedContinuation<Void, Never>?>(nil)
        let gateOpen = Mutex(false)
        let failure: PostgresError.Kind

        init(failure: PostgresError.Kind = .statement) { self.failure = failure }

        func store(_ rows: [InsertCoalescer.Row]) async throws -> [String] {
            let first = statements.withLock { $0.append(rows.count); return $0.count == 1 }
            if first {
                await withCheckedContinuation { continuation in
                    let open = gateOpen.withLock { open in
                        if !open { gate.withLock { $0 = continuation } }
                        return open
                    }
                    if open { continuation.resume() }
                }
            }
            if rows.contains(where: { $0.encoded.body == "bad" }) {
                throw PostgresError(kind: failure, message: "refused", target: "test")
            }
            return rows.map { _ in String(next.withLock { $0 += 1; return $0 }) }
        }

        func release() {
            let waiting = gateOpen.withLock { open in
                open = true
                return gate.withLock { gate in defer { gate = nil }; return gate }
            }
            waiting?.resume()
        }
    }

    static func row(_ body: String) -> InsertCoalescer.Row {
        InsertCoalescer.Row(encoded: EncodedEnvelope(body: body, headers: "{}"), delayMilliseconds: 0)
    }

    @Test("sends that arrive while an insert runs are stored together by the next statement, each with its own id")
    func shared() async throws {
        let store = FakeStore()
        let coalescer = InsertCoalescer(store: store.store)
        let ids = try await withThrowingTaskGroup(of: String.self) { group in
            for index in 0..<50 { group.addTask { try await coalescer.insert(Self.row("m\(index)")) } }
            // The first statement is held open until the 49 others wait behind it.
            while coalescer.waitingCount < 49 { await Task.yield() }
            store.release()
            return try await group.reduce(into: [String]()) { $0.append($1) }
        }
        #expect(Set(ids).count == 50)
        #expect(store.statements.withLock { $0 } == [1, 49])
        // Nothing waits any more: the next send is stored at once, alone.
        _ = try await coalescer.insert(Self.row("late"))
        #expect(store.statements.withLock { $0 } == [1, 49, 1])
    }

    @Test("a row the database refuses fails only its own send: the others of its statement are stored one by one")
    func statementFailureIsolated() async throws {
        let store = FakeStore()
        let coalescer = InsertCoalescer(store: store.store)
        let outcomes = await withTaskGroup(of: (String, Bool).self) { group in
            group.addTask { ("lead", (try? await coalescer.insert(Self.row("lead"))) != nil) }
            while store.statements.withLock({ $0.count }) < 1 { await Task.yield() }
            for body in ["a", "bad", "b"] {
                group.addTask { (body, (try? await coalescer.insert(Self.row(body))) != nil) }
            }
            while coalescer.waitingCount < 3 { await Task.yield() }
            store.release()
            return await group.reduce(into: [String: Bool]()) { $0[$1.0] = $1.1 }
        }
        #expect(outcomes == ["lead": true, "a": true, "b": true, "bad": false])
        #expect(store.statements.withLock { $0 }.sorted() == [1, 1, 1, 1, 3])
    }

    @Test("a lost connection fails every send of the statement, with its error")
    func connectionFailureShared() async throws {
        let store = FakeStore(failure: .connectionLost)
        let coalescer = InsertCoalescer(store: store.store)
        let failures = await withTaskGroup(of: Bool.self) { group in
            group.addTask { (try? await coalescer.insert(Self.row("lead"))) == nil }
            while store.statements.withLock({ $0.count }) < 1 { await Task.yield() }
            for body in ["bad", "a"] { group.addTask { (try? await coalescer.insert(Self.row(body))) == nil } }
            while coalescer.waitingCount < 2 { await Task.yield() }
            store.release()
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(failures.filter { $0 }.count == 2)
        #expect(store.statements.withLock { $0 } == [1, 2])
    }
}
