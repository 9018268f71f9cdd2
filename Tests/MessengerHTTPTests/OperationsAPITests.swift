import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Messenger
import MessengerConsole
@testable import MessengerHTTP
import Testing

@Suite("HTTP API: queues, schedules, workers, throughput, metrics")
struct OperationsAPITests {
    let admin = DashboardFixture.basic(DashboardFixture.admin)

    @Test("queues show counts and paused; a schedule runs now (202 with the message's id); workers and throughput show what ran")
    func operations() async throws {
        let fixture = try await DashboardFixture()
        try await fixture.application.test(.router) { client in
            let schedules = try await client.execute(uri: "/api/schedules", method: .get, headers: admin)
            let first = try #require((schedules.object["schedules"] as? [[String: Any]])?.first)
            #expect(first["name"] as? String == "nightly-probe")
            #expect((first["next_runs"] as? [Any])?.count == 3)
            let run = try await client.execute(uri: try #require(first["run_url"] as? String), method: .post, headers: admin)
            #expect(run.status == .accepted)
            let id = try #require(run.object["id"] as? String)
            try await client.execute(uri: "/api/schedules/default/nope/run", method: .post, headers: admin) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/api/queues", method: .get, headers: admin) { response in
                let async = (response.object["queues"] as? [[String: Any]])?.first { $0["transport"] as? String == "async" }
                #expect((async?["counts"] as? [String: Any])?["ready"] as? Int == 1)
            }
            try await client.execute(uri: "/metrics", method: .get, headers: admin) { response in
                #expect(response.text.contains(#"messenger_queue_waiting_messages{transport="async",queue="async"} 1"#))
            }
            try await fixture.consume()
            try await client.execute(uri: "/api/messages/\(id)", method: .get, headers: admin) { response in
                #expect(response.object["status"] as? String == "completed")
                #expect(response.object["origin"] as? String == "schedule:default/nightly-probe@run")
            }
            try await client.execute(uri: "/api/workers", method: .get, headers: admin) { response in
                let workers = (response.object["workers"] as? [[String: Any]]) ?? []
                #expect(workers.count == 1)
                #expect((workers.first?["worker"] as? [String: Any])?["handled"] as? Int == 1)
            }
            try await client.execute(uri: "/api/stats/throughput?window=600&bucket=60", method: .get, headers: admin) { response in
                let buckets = (response.object["buckets"] as? [[String: Any]]) ?? []
                #expect(buckets.count >= 10)
                #expect(buckets.reduce(0) { $0 + ($1["completed"] as? Int ?? 0) } == 1)
                #expect((response.object["run_seconds"] as? [String: Any])?["samples"] as? Int == 1)
            }
            for bad in ["window=5", "window=", "bucket=x", "window=604800&bucket=10"] {
                try await client.execute(uri: "/api/stats/throughput?\(bad)", method: .get, headers: admin) { #expect($0.status == .badRequest, "\(bad)") }
            }
            try await client.execute(uri: "/api/openapi.yaml", method: .get, headers: admin) { response in
                #expect(response.text.hasPrefix("openapi: 3.1.0"))
            }
            try await client.execute(uri: "/", method: .get, headers: admin) { response in
                #expect(response.status == .ok)
                #expect(response.text.contains("<svg class=\"chart\""))
            }
        }
        await fixture.close()
    }

    @Test("the OpenAPI document served is the repository's file, and names every route the server has")
    func openAPIFile() throws {
        let served = String(decoding: PackageResources.openapi_yaml, as: UTF8.self)
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let file = try String(contentsOf: root.appendingPathComponent("Sources/MessengerHTTP/Resources/openapi.yaml"), encoding: .utf8)
        #expect(served == file)
        for path in ["/api/messages:", "/api/messages/{id}:", "/api/messages/{id}/cancel:", "/api/messages/{id}/retry:", "/api/messages/retry:",
                     "/api/messages/cancel:", "/api/queues:", "/api/queues/{name}/pause:", "/api/queues/{name}/resume:", "/api/schedules:",
                     "/api/schedules/{schedule}/{task}/run:", "/api/workers:", "/api/stats/throughput:", "/healthz:", "/readyz:", "/metrics:"] {
            #expect(file.contains("  \(path)\n"), "\(path)")
        }
    }
}
