import App
import Foundation
import HTTPTypes
import HummingbirdTesting
import Messenger
import MessengerConsole
import MessengerTestSupport
import NIOCore
import Testing

/// The application's endpoints through Hummingbird's HTTP client, against SQLite and PostgreSQL:
/// each answer, its errors, and what it leaves in the database and the queue.
@Suite("The application's HTTP endpoints", .timeLimit(.minutes(2)))
struct StudentSupportAPITests {
    typealias Kind = AppAPIFixture.Kind

    @Test("POST /api/students: 201 with the student and the fetch's status_url, both stored; 409 twice; 422 naming the field; 401/403", arguments: Kind.allCases)
    func students(kind: Kind) async throws {
        let fixture = try await AppAPIFixture(kind)
        try await fixture.application.test(.router) { client in
            let body = #"{"student_number": "21009999", "email": "zoe@etu.univ.example", "name": "Zoé Dupré"}"#
            let created = try await client.execute(uri: "/api/students", method: .post, headers: fixture.headers(), body: ByteBuffer(string: body))
            #expect(created.status == .created, "\(created.text)")
            #expect(created.object["name"] as? String == "Zoé Dupré" && created.object["student_number"] as? String == "21009999")
            let fetch = try #require(created.object["enrollment_fetch"] as? [String: Any])
            let statusURL = try #require(fetch["status_url"] as? String)
            #expect(fetch["status"] as? String == "queued")
            let status = try await client.execute(uri: statusURL, method: .get, headers: fixture.headers(json: false))
            #expect(status.status == .ok && status.object["type"] as? String == "App.FetchApogeeEnrollment" && status.object["status"] as? String == "queued")
            let id = try #require(created.object["id"] as? Int)
            #expect(try await fixture.query("SELECT name, email FROM students WHERE id = $1", [String(id)]) == [["Zoé Dupré", "zoe@etu.univ.example"]])

            let again = try await client.execute(uri: "/api/students", method: .post, headers: fixture.headers(), body: ByteBuffer(string: body))
            #expect(again.status == .conflict && again.object["error"] as? String == "student 21009999 exists already" && again.object["id"] as? Int == id)
            for (bad, field) in [(#"{"student_number": "21 99", "email": "a@b.fr", "name": "A"}"#, "student_number"),
                                 (#"{"student_number": "2", "email": "not-an-address", "name": "A"}"#, "email"),
                                 (#"{"student_number": "3", "email": "a@b.fr", "name": "  "}"#, "name"),
                                 // 150 letters, each with a combining mark: 150 characters to Swift, 300 code points to JSON Schema (maxLength 200).
                                 (#"{"student_number": "4", "email": "a@b.fr", "name": "\#(String(repeating: "e\u{0301}", count: 150))"}"#, "name")] {
                let refused = try await client.execute(uri: "/api/students", method: .post, headers: fixture.headers(), body: ByteBuffer(string: bad))
                #expect(refused.status == .unprocessableContent && refused.object["field"] as? String == field, "\(refused.text)")
            }
            let missing = try await client.execute(uri: "/api/students", method: .post, headers: fixture.headers(), body: ByteBuffer(string: #"{"email": "a@b.fr"}"#))
            #expect(missing.status == .badRequest && (missing.object["error"] as? String)?.contains("student_number is missing") == true, "\(missing.text)")
            let viewer = try await client.execute(uri: "/api/students", method: .post, headers: fixture.headers(fixture.viewerToken), body: ByteBuffer(string: body))
            #expect(viewer.status == .forbidden)
            let anonymous = try await client.execute(uri: "/api/students", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: body))
            #expect(anonymous.status == .unauthorized)
        }
        #expect(try await fixture.query("SELECT count(*) FROM students")[0][0] == "13")
        await fixture.close()
    }

    @Test("POST /api/students: when the fetch cannot be queued, no student is recorded (one transaction) and the answer hides the DSN's password")
    func studentRolledBack() async throws {
        let fixture = try await AppAPIFixture(
            extraTransports: "    apogee: 'postgresql://app:Sup3rSecret@127.0.0.1:1/nowhere'",
            extraRouting: "    App.FetchApogeeEnrollment: apogee"
        )
        try await fixture.application.test(.router) { client in
            let body = #"{"student_number": "21009999", "email": "zoe@etu.univ.example", "name": "Zoé Dupré"}"#
            let failed = try await client.execute(uri: "/api/students", method: .post, headers: fixture.headers(), body: ByteBuffer(string: body))
            #expect(failed.status == .internalServerError)
            #expect(!failed.text.contains("Sup3rSecret"))
        }
        #expect(try await fixture.query("SELECT count(*) FROM students WHERE student_number = '21009999'")[0][0] == "0")
        await fixture.close()
    }

    @Test("POST /api/enrollments/refresh: 202; 409 already_queued, then already_running with the running refresh's id; 202 again once it is done", arguments: Kind.allCases)
    func refresh(kind: Kind) async throws {
        let fixture = try await AppAPIFixture(kind)
        try await fixture.application.test(.router) { client in
            let first = try await client.execute(uri: "/api/enrollments/refresh", method: .post, headers: fixture.headers(json: false))
            #expect(first.status == .accepted && first.object["status"] as? String == "queued")
            let id = try #require(first.object["id"] as? String)
            #expect(first.object["status_url"] as? String == "/api/messages/\(id)")
            let queued = try await client.execute(uri: "/api/enrollments/refresh", method: .post, headers: fixture.headers(json: false))
            #expect(queued.status == .conflict && queued.object["status"] as? String == "already_queued" && queued.object["id"] as? String == id)

            // A worker takes it: the refresh is in progress.
            let receiver = try fixture.kernel.transport(named: "async")
            let taken = try await receiver.get(limit: 1)
            #expect(taken.first?.message is RefreshAllEnrollments)
            let running = try await client.execute(uri: "/api/enrollments/refresh", method: .post, headers: fixture.headers(json: false))
            #expect(running.status == .conflict, "\(running.text)")
            #expect(running.object["status"] as? String == "already_running" && running.object["id"] as? String == id)
            #expect((running.object["error"] as? String)?.contains("an enrollment refresh is in progress (running)") == true)

            for envelope in taken { try await receiver.ack(envelope) }
            try await receiver.flush()
            let next = try await client.execute(uri: "/api/enrollments/refresh", method: .post, headers: fixture.headers(json: false))
            #expect(next.status == .accepted && next.object["id"] as? String != id, "\(next.text)")
        }
        await fixture.close()
    }

    @Test("documents: 202 with status_url; GET is 202 with the status until a worker generates it, then the PDF, 409 once cancelled; idempotent; bad input named", arguments: Kind.allCases)
    func documents(kind: Kind) async throws {
        let fixture = try await AppAPIFixture(kind)
        try await fixture.application.test(.router) { client in
            let body = #"{"kind": "accommodation-certificate", "subject": 1}"#
            let queued = try await client.execute(uri: "/api/documents", method: .post, headers: fixture.headers(), body: ByteBuffer(string: body))
            #expect(queued.status == .accepted && queued.object["status"] as? String == "queued", "\(queued.text)")
            let documentURL = try #require(queued.object["document_url"] as? String)
            let statusURL = try #require(queued.object["status_url"] as? String)
            let twice = try await client.execute(uri: "/api/documents", method: .post, headers: fixture.headers(), body: ByteBuffer(string: body))
            #expect(twice.status == .accepted && twice.object["id"] as? Int == queued.object["id"] as? Int && twice.object["status_url"] as? String == statusURL)

            let early = try await client.execute(uri: documentURL, method: .get, headers: fixture.headers(fixture.viewerToken, json: false))
            #expect(early.status == .accepted && early.object["status"] as? String == "queued" && early.object["status_url"] as? String == statusURL, "\(early.text)")
            #expect(early.headers[.retryAfter] == "1")
            try await fixture.consume()
            let pdf = try await client.execute(uri: documentURL, method: .get, headers: fixture.headers(fixture.viewerToken, json: false))
            #expect(pdf.status == .ok && pdf.headers[.contentType] == "application/pdf")
            let data = Data(pdf.body.readableBytesView)
            #expect(data.starts(with: Data("%PDF-".utf8)))
            let checksum = try await fixture.query("SELECT checksum FROM documents WHERE id = 1")[0][0]
            #expect(pdf.headers[.eTag] == "\"\(checksum ?? "")\"")
            let file = fixture.directory.appendingPathComponent("downloaded.pdf")
            try data.write(to: file)
            #expect(try await AppProcess.run([file.path, "-"], directory: "/", executable: "/usr/bin/pdftotext").stdout.contains("Élodie Bernard"))

            let done = try await client.execute(uri: "/api/documents", method: .post, headers: fixture.headers(), body: ByteBuffer(string: body))
            #expect(done.status == .ok && done.object["status"] as? String == "generated")
            #expect(try await fixture.query("SELECT count(*) FROM documents")[0][0] == "1")

            for (bad, status, culprit) in [(#"{"kind": "diploma", "subject": 1}"#, HTTPResponse.Status.unprocessableContent, "kind must be one of"),
                                           (#"{"kind": "campaign-summary", "subject": 999}"#, .unprocessableContent, "no campaign 999"),
                                           (#"{"kind": "campaign-summary", "subject": 1, "version": 0}"#, .unprocessableContent, "version must be from 1 to 10000"),
                                           (#"{"kind": "campaign-summary", "subject": "one"}"#, .badRequest, "subject")] {
                let refused = try await client.execute(uri: "/api/documents", method: .post, headers: fixture.headers(), body: ByteBuffer(string: bad))
                #expect(refused.status == status && (refused.object["error"] as? String)?.contains(culprit) == true, "\(refused.text)")
            }
            // A generation cancelled before a worker took it: 409, not a document on its way.
            let second = try await client.execute(uri: "/api/documents", method: .post, headers: fixture.headers(),
                                                  body: ByteBuffer(string: #"{"kind": "accommodation-certificate", "subject": 1, "version": 2}"#))
            let secondStatus = try #require(second.object["status_url"] as? String)
            let cancelled = try await client.execute(uri: secondStatus + "/cancel", method: .post, headers: fixture.headers())
            #expect(cancelled.status == .ok, "\(cancelled.text)")
            let refusedPDF = try await client.execute(uri: try #require(second.object["document_url"] as? String), method: .get, headers: fixture.headers(json: false))
            #expect(refusedPDF.status == .conflict && refusedPDF.object["status"] as? String == "cancelled", "\(refusedPDF.text)")
            for missing in ["/api/documents/999", "/api/documents/abc", "/api/documents/-1"] {
                let absent = try await client.execute(uri: missing, method: .get, headers: fixture.headers(json: false))
                #expect(absent.status == .notFound && absent.object["error"] != nil)
            }
        }
        await fixture.close()
    }

    @Test("POST /api/errors: 202 with the fingerprint; stored grouped once a worker handles it; 422 for an empty message", arguments: Kind.allCases)
    func errors(kind: Kind) async throws {
        let fixture = try await AppAPIFixture(kind)
        try await fixture.application.test(.router) { client in
            var fingerprints: Set<String> = []
            for elapsed in [1200, 3400] {
                let body = #"{"source": "GET /requests", "message": "timeout after \#(elapsed) ms"}"#
                let reported = try await client.execute(uri: "/api/errors", method: .post, headers: fixture.headers(), body: ByteBuffer(string: body))
                #expect(reported.status == .accepted && reported.object["status"] as? String == "queued")
                fingerprints.insert(try #require(reported.object["fingerprint"] as? String))
            }
            #expect(fingerprints.count == 1)
            let empty = try await client.execute(uri: "/api/errors", method: .post, headers: fixture.headers(), body: ByteBuffer(string: #"{"source": "x", "message": ""}"#))
            #expect(empty.status == .unprocessableContent && empty.object["field"] as? String == "message")
            let long = String(repeating: "a\u{0300}", count: 300)  // 300 characters to Swift, 600 code points (maxLength 500)
            let tooLong = try await client.execute(uri: "/api/errors", method: .post, headers: fixture.headers(),
                                                   body: ByteBuffer(string: #"{"source": "\#(long)", "message": "m"}"#))
            #expect(tooLong.status == .unprocessableContent && tooLong.object["field"] as? String == "source")
            try await fixture.consume()
            #expect(try await fixture.query("SELECT source, occurrences FROM technical_errors") == [["web GET /requests", "2"]])
        }
        await fixture.close()
    }

    @Test("/api/openapi.yaml documents the application's endpoints beside the messenger's")
    func openAPI() async throws {
        let fixture = try await AppAPIFixture()
        try await fixture.application.test(.router) { client in
            let document = try await client.execute(uri: "/api/openapi.yaml", method: .get, headers: fixture.headers(json: false)).text
            for path in ["/api/messages:", "/api/students:", "/api/enrollments/refresh:", "/api/documents:", "/api/documents/{id}:", "/api/errors:",
                         "StudentRequest:", "Error:"] {
                #expect(document.contains(path), "documents \(path)")
            }
        }
        await fixture.close()
    }
}
