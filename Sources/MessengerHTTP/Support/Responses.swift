import Foundation
import HTTPTypes
import Hummingbird

/// The responses the server writes: JSON for the API, HTML for pages, redirects; each with the
/// headers that keep a browser from sniffing, framing or caching what it should not.
enum Responses {
    /// snake_case keys, ISO 8601 times with milliseconds, stable key order.
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted)))
        }
        return encoder
    }()

    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) throws -> Response {
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        return respond(status: status, headers: fields, body: try encoder.encode(value))
    }

    static func problem(_ problem: HTTPProblem) -> Response {
        var body = problem.fields
        body["error"] = .string(problem.message)
        var fields = problem.headers
        fields[.contentType] = "application/json; charset=utf-8"
        return respond(status: problem.status, headers: fields, body: (try? encoder.encode(body)) ?? Data())
    }

    static func html(_ text: String, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "text/html; charset=utf-8"
        fields[.contentSecurityPolicy] = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
        return respond(status: status, headers: fields, body: Data(text.utf8))
    }

    static func text(_ text: String, contentType: String, status: HTTPResponse.Status = .ok) -> Response {
        respond(status: status, headers: [.contentType: contentType], body: Data(text.utf8))
    }

    static func bytes(_ bytes: [UInt8], contentType: String) -> Response {
        respond(status: .ok, headers: [.contentType: contentType, .cacheControl: "public, max-age=3600"], body: Data(bytes))
    }

    static func data(_ data: Data, contentType: String, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = contentType
        return respond(status: .ok, headers: fields, body: data)
    }

    /// 303 See Other: after a form, the browser loads the target with GET.
    static func redirect(to location: String, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.location] = location
        return respond(status: .seeOther, headers: fields, body: Data())
    }

    private static func respond(status: HTTPResponse.Status, headers: HTTPFields, body: Data) -> Response {
        var fields = headers
        fields[.xContentTypeOptions] = "nosniff"
        fields[HTTPField.Name("X-Frame-Options")!] = "DENY"
        fields[HTTPField.Name("Referrer-Policy")!] = "same-origin"
        if fields[.cacheControl] == nil { fields[.cacheControl] = "no-store" }
        return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }
}
