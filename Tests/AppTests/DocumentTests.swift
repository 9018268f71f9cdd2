@testable import App
import Foundation
import Messenger
import MessengerTestSupport
import Testing

/// Generated PDF documents, parsed back with poppler's `pdfinfo` and `pdftotext`; on both databases.
@Suite("Generated documents", .timeLimit(.minutes(2)))
struct DocumentTests {
    typealias Kind = AppDatabaseTests.Kind

    /// A poppler tool's standard output (`pdfinfo`, `pdftotext FILE -`).
    static func poppler(_ tool: String, _ arguments: String...) async throws -> String {
        let run = try await AppProcess.run(arguments, directory: "/", executable: "/usr/bin/\(tool)")
        #expect(run.status == 0, "\(tool) \(arguments.joined(separator: " ")) failed: \(run.stderr)")
        return run.stdout
    }

    /// The page count `pdfinfo` reads.
    static func pages(_ file: String) async throws -> Int? {
        try await poppler("pdfinfo", file).split(separator: "\n").first { $0.hasPrefix("Pages:") }
            .flatMap { Int($0.dropFirst("Pages:".count).trimmingCharacters(in: .whitespaces)) }
    }

    /// A seeded database whose project names the university that issues the documents.
    static func fixture(_ kind: Kind) async throws -> AppDatabaseTests.Fixture {
        let fixture = try await AppDatabaseTests.seeded(kind)
        try fixture.directory.write(".env.local", "UNIVERSITY_NAME=\"Université de Montéval\"\n")
        return fixture
    }

    static func generate(_ fixture: AppDatabaseTests.Fixture, _ message: GenerateDocument) async throws -> GeneratedDocument {
        let sent = try await AppDatabaseTests.bus(fixture.shared, mails: InMemoryTransport(), projectDirectory: fixture.directory.path).dispatch(message)
        return try #require(sent.last(HandledStamp.self)?.result as? GeneratedDocument)
    }

    @Test("a certificate: the university, the student's accented name, their enrollments and avis ESE; checksum of the file as stored", arguments: Kind.allCases)
    func certificate(kind: Kind) async throws {
        let fixture = try await Self.fixture(kind)
        try await fixture.database.query("""
            INSERT INTO enrollments (student_id, academic_year, program, stage, fetched_at)
            VALUES (1, '2026', 'Licence Sciences de la vie et de la Terre — parcours écologie', 'L3', '2026-11-20')
            """)
        try await AppDatabaseTests.bus(fixture.shared, mails: InMemoryTransport()).dispatch(RecomputeAvisEse(on: AppCalendar.today(AppDatabaseTests.today)))
        let document = try await Self.generate(fixture, GenerateDocument(kind: .accommodationCertificate, subject: 1))
        #expect(document.rendered && document.path == "accommodation-certificate/1-v1.pdf" && document.pages == 1)
        let file = fixture.directory.path + "/var/documents/" + document.path
        let data = try Data(contentsOf: URL(fileURLWithPath: file))
        #expect(data.starts(with: Data("%PDF-1.".utf8)) && data.count == document.bytes)
        #expect(document.checksum == DocumentFolder.checksum(data) && document.checksum.count == "sha256:".count + 64)
        #expect(try await Self.pages(file) == 1)
        let text = try await Self.poppler("pdftotext", "-layout", file, "-")
        for expected in ["Université de Montéval", "Accommodation certificate", "Élodie Bernard", "21000100", "Licence Sciences de la vie et de la Terre",
                         "Avis ESE", "expiring", "Page 1 of 1"] {
            #expect(text.contains(expected), "the text has \(expected)")
        }
        let row = try await fixture.database.query("SELECT state, path, checksum, pages, bytes FROM documents WHERE id = $1", [String(document.id)])
        #expect(row == [["generated", document.path, document.checksum, "1", String(data.count)]])
        try await fixture.remove()
    }

    @Test("a campaign of 150 requests takes several pages, numbered n of N, its table's header on each", arguments: Kind.allCases)
    func summary(kind: Kind) async throws {
        let fixture = try await Self.fixture(kind)
        try await fixture.database.transaction {
            for number in 1...150 {
                let id = try await fixture.database.query("""
                    INSERT INTO students (student_number, email, name, created_at) VALUES ($1, $2, $3, '2026-09-01') RETURNING id
                    """, [String(22_000_000 + number), "\(number)@etu.univ.example", "Zoé Étudiante n°\(number)"])[0][0]
                try await fixture.database.query("INSERT INTO requests (campaign_id, student_id, state, updated_at) VALUES (3, $1, 'submitted', '2026-11-02')", [id])
            }
        }
        let document = try await Self.generate(fixture, GenerateDocument(kind: .campaignSummary, subject: 3))
        let file = fixture.directory.path + "/var/documents/" + document.path
        #expect(document.pages >= 3)
        #expect(try await Self.pages(file) == document.pages)
        let text = try await Self.poppler("pdftotext", file, "-")
        #expect(text.contains("Page \(document.pages) of \(document.pages)") && text.contains("Page 1 of \(document.pages)"))
        #expect(text.contains("Zoé Étudiante n°150") && text.contains("Disability support"))
        let headers = text.components(separatedBy: "Student number").count - 1
        #expect(headers == document.pages, "the table's header on each of the \(document.pages) pages")
        try await fixture.remove()
    }

    @Test("idempotent per kind, subject and version: the same version is not rendered again; a new version is; a missing file is rendered anew",
          arguments: Kind.allCases)
    func idempotent(kind: Kind) async throws {
        let fixture = try await Self.fixture(kind)
        let first = try await Self.generate(fixture, GenerateDocument(kind: .accommodationCertificate, subject: 2))
        let again = try await Self.generate(fixture, GenerateDocument(kind: .accommodationCertificate, subject: 2))
        #expect(first.rendered && !again.rendered && again.id == first.id && again.checksum == first.checksum)
        let second = try await Self.generate(fixture, GenerateDocument(kind: .accommodationCertificate, subject: 2, version: 2))
        #expect(second.rendered && second.id != first.id && second.path == "accommodation-certificate/2-v2.pdf")
        #expect(try await fixture.database.query("SELECT count(*) FROM documents")[0][0] == "2")
        try FileManager.default.removeItem(atPath: fixture.directory.path + "/var/documents/" + first.path)
        let restored = try await Self.generate(fixture, GenerateDocument(kind: .accommodationCertificate, subject: 2))
        #expect(restored.rendered && restored.id == first.id)
        #expect(FileManager.default.fileExists(atPath: fixture.directory.path + "/var/documents/" + first.path))
        try await fixture.remove()
    }

    @Test("an unknown subject is an unrecoverable error naming it; no file is written", arguments: Kind.allCases)
    func unknownSubject(kind: Kind) async throws {
        let fixture = try await Self.fixture(kind)
        let error = await #expect(throws: HandlerFailedError.self) {
            try await AppDatabaseTests.bus(fixture.shared, mails: InMemoryTransport(), projectDirectory: fixture.directory.path)
                .dispatch(GenerateDocument(kind: .campaignSummary, subject: 999))
        }
        #expect(error?.failures.first?.error is UnrecoverableMessageError)
        let reason = error?.failures.first.map { "\($0.error)" } ?? ""
        #expect(reason.contains("no campaign 999: cannot generate its campaign-summary"))
        #expect(!FileManager.default.fileExists(atPath: fixture.directory.path + "/var/documents/campaign-summary/999-v1.pdf"))
        try await fixture.remove()
    }

    @Test("French text survives WinAnsiEncoding; other Latin letters lose their diacritic; what it cannot write becomes ?")
    func encoding() {
        let bytes = WinAnsiEncoding.encode("Zoé Œuvre – 5 €\u{1F600}").dropLast().map { UInt8(bitPattern: $0) }
        #expect(bytes == [0x5A, 0x6F, 0xE9, 0x20, 0x8C, 0x75, 0x76, 0x72, 0x65, 0x20, 0x96, 0x20, 0x35, 0x20, 0x80, 0x3F])
        // e + combining acute is é.
        #expect(WinAnsiEncoding.encode("e\u{301}").first.map { UInt8(bitPattern: $0) } == 0xE9)
        // Other Latin letters lose their diacritic, so that an international student's name stays readable.
        let latin = WinAnsiEncoding.encode("Łukasz Şükrü Őry Țuțu Đorđe").dropLast().map { UInt8(bitPattern: $0) }
        #expect(String(decoding: latin.map { $0 == 0xFC ? UInt8(ascii: "u") : $0 }, as: UTF8.self) == "Lukasz Sukru Ory Tutu Dorde")
        #expect(latin.contains(0xFC), "ü is in Windows-1252: kept")
    }
}
