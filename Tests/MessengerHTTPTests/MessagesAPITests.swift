import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Messenger
import MessengerConsole
@testable import MessengerHTTP
import Testing

@Suite("HTTP API: messages")
struct MessagesAPITests {
    let admin = DashboardFixture.basic(DashboardFixture.admin)
    let viewer = DashboardFixture.basic(DashboardFixture.viewer)

    func dispatch(_ client: some TestClientProtocol, _ body: String) async throws -> TestResponse {
        var headers = admin
        headers[.contentType] = "application/json"
        return try await client.execute(uri: "/api/messages", method: .post, headers: headers, body: DashboardFixture.json(body))
    }

    @Test("\"group\" puts messages in an ordered group: the queue counts the one held back, its record and page say why it waits; a bad group is 422")
    func groups() async throws {
        let fixture = try await DashboardFixture()
        try await fixture.application.test(.router) { client in
            var ids: [String] = []
            for label in ["first", "second"] {
                let response = try await dispatch(client, #"{"type": "Messenger.Probe", "payload": {"label": "\#(label)"}, "group": "student-42"}"#)
                #expect(response.status == .accepted)
                ids.append(try #require(response.object["id"] as? String))
            }
            let bad = try await dispatch(client, #"{"type": "Messenger.Probe", "payload": {"label": "x"}, "group": ""}"#)
            #expect(bad.status == .unprocessableContent)
            try await client.execute(uri: "/api/queues", method: .get, headers: admin) { response in
                let async = (response.object["queues"] as? [[String: Any]])?.first { $0["transport"] as? String == "async" }
                #expect(async?["held_back"] as? [String: Int] == ["group": 1, "limit": 0, "rate": 0])
            }
            try await client.execute(uri: "/api/messages/\(ids[1])", method: .get, headers: admin) { response in
                #expect(response.object["waiting_on"] as? String == #"ordered group "student-42": 1 earlier message(s) of the group first"#)
            }
            try await client.execute(uri: "/api/messages/\(ids[0])", method: .get, headers: admin) { #expect($0.object["waiting_on"] == nil) }
            try await client.execute(uri: "/queues", method: .get, headers: admin) { #expect($0.text.contains("<td>group 1</td>")) }
            try await client.execute(uri: "/messages/\(ids[1])", method: .get, headers: admin) { response in
                #expect(response.text.contains("Waiting on ordered group &quot;student-42&quot;") || response.text.contains("Waiting on ordered group \"student-42\""))
            }
        }
        await fixture.close()
    }

    @Test("dispatch returns 202 with the id and status URL; the record reads back; unknown types and bad payloads are 422, bad JSON 400")
    func dispatchAndRead() async throws {
        let fixture = try await DashboardFixture()
        try await fixture.application.test(.router) { client in
            let accepted = try await dispatch(client, #"{"type": "Messenger.Probe", "payload": {"label": "hello"}, "delay_ms": 60000}"#)
            #expect(accepted.status == .accepted)
            let id = try #require(accepted.object["id"] as? String)
            #expect(accepted.object["status"] as? String == "scheduled")
            let url = try #require(accepted.object["status_url"] as? String)
            #expect(url == "/api/messages/\(id)")
            try await client.execute(uri: url, method: .get, headers: viewer) { response in
                #expect(response.status == .ok)
                #expect(response.object["status"] as? String == "scheduled")
                #expect(response.object["type"] as? String == "Messenger.Probe")
                #expect((response.object["body"] as? String)?.contains("hello") == true)
            }
            let unknown = try await dispatch(client, #"{"type": "App.Nope", "payload": {}}"#)
            #expect(unknown.status == .unprocessableContent)
            #expect((unknown.object["error"] as? String)?.contains("App.Nope") == true)
            let undecodable = try await dispatch(client, #"{"type": "Messenger.Probe", "payload": {"label": 12}}"#)
            #expect(undecodable.status == .unprocessableContent)
            #expect((undecodable.object["error"] as? String)?.contains("label") == true)
            #expect(try await dispatch(client, #"{"type": "#).status == .badRequest)
            #expect(try await dispatch(client, #"{"payload": {}}"#).status == .badRequest)
            #expect(try await dispatch(client, #"{"type": "Messenger.Probe", "delay_ms": -1}"#).status == .unprocessableContent)
            #expect(try await dispatch(client, #"{"type": "Messenger.Probe", "payload": {"label": "p"}, "priority": 101}"#).status == .unprocessableContent)
            // 100 characters to Swift, 200 code points to JSON Schema: past the group's 190 and, twice over, the key's 255.
            let marked = String(repeating: "e\u{0301}", count: 100)
            #expect(try await dispatch(client, #"{"type": "Messenger.Probe", "payload": {"label": "p"}, "group": "\#(marked)"}"#).status == .unprocessableContent)
            #expect(try await dispatch(client, #"{"type": "Messenger.Probe", "payload": {"label": "p"}, "deduplicate": {"key": "\#(marked + marked)"}}"#).status == .unprocessableContent)
            let prioritized = try await dispatch(client, #"{"type": "Messenger.Probe", "payload": {"label": "p"}, "priority": 7}"#)
            #expect(prioritized.status == .accepted)
            let stored = try await fixture.kernel.findRecord(id: try #require(prioritized.object["id"] as? String))
            // Ordered as if due earlier, but its record says when it was dispatched and available.
            #expect(stored?.0.status == .queued && stored.map { $0.0.availableAt >= $0.0.createdAt } == true)
            try await client.execute(uri: "/api/messages/no-such-id", method: .get, headers: viewer) { #expect($0.status == .notFound) }
        }
        await fixture.close()
    }

    @Test("a sync route handles at once: 200 completed, or 200 failed with the handler's error (not a server error)")
    func syncDispatch() async throws {
        let fixture = try await DashboardFixture(probeRoute: nil)
        try await fixture.application.test(.router) { client in
            let handled = try await dispatch(client, #"{"type": "Messenger.Probe", "payload": {"label": "now"}}"#)
            #expect(handled.status == .ok)
            #expect(handled.object["status"] as? String == "completed")
            let failed = try await dispatch(client, #"{"type": "Messenger.Probe", "payload": {"label": "broken", "failAttempts": 1}}"#)
            #expect(failed.status == .ok)
            #expect(failed.object["status"] as? String == "failed")
            let error = try #require(failed.object["error"] as? [String: Any])
            #expect(error["type"] as? String == "MessengerConsole.ProbeFailure")
            #expect((error["message"] as? String ?? "").contains("probe broken failed on purpose (attempt 1)"))
        }
        await fixture.close()
    }

    @Test("a duplicate of a pending message is 409 already_queued, of a running one (while_running) 409 already_running, with the pending message's id")
    func duplicate() async throws {
        let fixture = try await DashboardFixture()
        try await fixture.application.test(.router) { client in
            let body = #"{"type": "Messenger.Probe", "payload": {"label": "d"}, "deduplicate": {"key": "student-42"}}"#
            let first = try await dispatch(client, body)
            #expect(first.status == .accepted)
            let second = try await dispatch(client, body)
            #expect(second.status == .conflict)
            #expect(second.object["status"] as? String == "already_queued")
            #expect(second.object["id"] as? String == first.object["id"] as? String)
            // While running, with while_running: a worker holds the message (claimed here as one would).
            let running = #"{"type": "Messenger.Probe", "payload": {"label": "r"}, "deduplicate": {"key": "sync-7", "while_running": true}}"#
            let started = try await dispatch(client, running)
            let worker = try #require(fixture.kernel.transports["async"])
            #expect(try await worker.get(limit: 10).count == 2)
            let again = try await dispatch(client, running)
            #expect(again.status == .conflict)
            #expect(again.object["status"] as? String == "already_running")
            #expect(again.object["id"] as? String == started.object["id"] as? String)
        }
        await fixture.close()
    }

    @Test("cancel: a waiting message 200 cancelled, then 409 already finished; unknown 404")
    func cancel() async throws {
        let fixture = try await DashboardFixture()
        try await fixture.application.test(.router) { client in
            let id = try #require(try await dispatch(client, #"{"type": "Messenger.Probe", "payload": {"label": "c"}}"#).object["id"] as? String)
            try await client.execute(uri: "/api/messages/\(id)/cancel", method: .post, headers: admin) { response in
                #expect(response.status == .ok)
                #expect(response.object["status"] as? String == "cancelled")
            }
            try await client.execute(uri: "/api/messages/\(id)/cancel", method: .post, headers: admin) { response in
                #expect(response.status == .conflict)
                #expect(response.object["status"] as? String == "cancelled")
            }
            try await client.execute(uri: "/api/messages/nope/cancel", method: .post, headers: admin) { #expect($0.status == .notFound) }
            #expect(try await fixture.kernel.transportOverviews(["async"]).first?.statistics?.total == 0)
        }
        await fixture.close()
    }

    @Test("retry: a parked message is claimed and handled again (completed, same id); a second retry is 409")
    func retry() async throws {
        let fixture = try await DashboardFixture()
        try await fixture.application.test(.router) { client in
            let id = try #require(try await dispatch(client, #"{"type": "Messenger.Probe", "payload": {"label": "r", "failAttempts": 1}}"#).object["id"] as? String)
            try await fixture.consume()
            try await client.execute(uri: "/api/messages/\(id)", method: .get, headers: viewer) { response in
                #expect(response.object["status"] as? String == "failed")
                #expect((response.object["error"] as? [String: Any])?["message"] != nil)
            }
            try await client.execute(uri: "/api/messages/\(id)/retry", method: .post, headers: admin) { response in
                #expect(response.status == .ok)
                #expect(response.object["status"] as? String == "completed")
            }
            try await client.execute(uri: "/api/messages/\(id)/retry", method: .post, headers: admin) { #expect($0.status == .conflict) }
        }
        await fixture.close()
    }

    @Test("list: filters, keyset pages without gaps or repeats, 400 on a bad status, limit or cursor")
    func list() async throws {
        let fixture = try await DashboardFixture()
        try await fixture.application.test(.router) { client in
            var ids: Set<String> = []
            for index in 0..<7 {
                let label = index % 2 == 0 ? "even-\(index)" : "odd-\(index)"
                ids.insert(try #require(try await dispatch(client, #"{"type": "Messenger.Probe", "payload": {"label": "\#(label)"}}"#).object["id"] as? String))
            }
            var seen: [String] = []
            var uri: String? = "/api/messages?limit=3&status=queued"
            while let next = uri {
                let page = try await client.execute(uri: next, method: .get, headers: viewer)
                #expect(page.status == .ok)
                seen += ((page.object["messages"] as? [[String: Any]]) ?? []).compactMap { $0["id"] as? String }
                uri = page.object["next_url"] as? String
            }
            #expect(seen.count == 7)
            #expect(Set(seen) == ids)
            let search = try await client.execute(uri: "/api/messages?q=odd-", method: .get, headers: viewer)
            #expect((search.object["messages"] as? [Any])?.count == 3)
            for bad in ["status=lost", "limit=0", "limit=abc", "limit=", "cursor=zzz"] {
                try await client.execute(uri: "/api/messages?\(bad)", method: .get, headers: viewer) { #expect($0.status == .badRequest, "\(bad)") }
            }
            // An empty value is no filter (as a form sends it); a cursor whose id starts with a combining mark still parses.
            for fine in ["status=&type=&queue=&q=&cursor=", "cursor=-223%3A%F0%9F%8F%BB%0D"] {
                try await client.execute(uri: "/api/messages?\(fine)", method: .get, headers: viewer) { #expect($0.status == .ok, "\(fine)") }
            }
            try await client.execute(uri: "/api/messages?status=failed&all=null", method: .delete, headers: admin) { response in
                #expect(response.status == .badRequest)
                #expect(response.object["error"] as? String == "all must be true or false, got \"null\"")
            }
        }
        await fixture.close()
    }

    @Test("bulk: cancel on a filter, retry of failed ones, delete of finished records; no filter is 422")
    func bulk() async throws {
        let fixture = try await DashboardFixture()
        try await fixture.application.test(.router) { client in
            for index in 0..<3 { _ = try await dispatch(client, #"{"type": "Messenger.Probe", "payload": {"label": "bulk-\#(index)"}}"#) }
            var headers = admin
            headers[.contentType] = "application/json"
            try await client.execute(uri: "/api/messages/cancel", method: .post, headers: headers, body: DashboardFixture.json("{}")) {
                #expect($0.status == .unprocessableContent)
            }
            try await client.execute(uri: "/api/messages/cancel", method: .post, headers: headers, body: DashboardFixture.json(#"{"q": "bulk-", "status": "queued"}"#)) { response in
                #expect(response.status == .ok)
                #expect(response.object["matched"] as? Int == 3)
                #expect(response.object["done"] as? Int == 3)
            }
            for index in 0..<2 { _ = try await dispatch(client, #"{"type": "Messenger.Probe", "payload": {"label": "f-\#(index)", "failAttempts": 1}}"#) }
            try await fixture.consume()
            try await client.execute(uri: "/api/messages/retry", method: .post, headers: headers, body: DashboardFixture.json(#"{"status": "failed"}"#)) { response in
                #expect(response.object["matched"] as? Int == 2)
                #expect(response.object["done"] as? Int == 2)
            }
            try await client.execute(uri: "/api/messages?status=cancelled", method: .delete, headers: admin) { response in
                #expect(response.status == .ok)
                #expect(response.object["done"] as? Int == 3)
            }
            try await client.execute(uri: "/api/messages?status=cancelled", method: .get, headers: viewer) { response in
                #expect((response.object["messages"] as? [Any])?.isEmpty == true)
            }
            try await client.execute(uri: "/api/messages", method: .delete, headers: admin) { #expect($0.status == .unprocessableContent) }
        }
        await fixture.close()
    }
}
