/// A local OpenTelemetry collector for the tests: an OTLP/HTTP endpoint (`POST /v1/traces`,
/// protobuf, gzip or not) that decodes each export with opentelemetry-proto (PyPI) and prints every
/// span as one `SPAN {json}` line: ids in hex, kind (4 producer, 5 consumer), attributes, links,
/// status code and the resource's `service.name`.
enum OTLPReceiver {
    static let script = #"""
    import gzip, http.server, json, sys, threading
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest, ExportTraceServiceResponse

    def value(v):
        kind = v.WhichOneof("value")
        return getattr(v, kind) if kind in ("string_value", "int_value", "bool_value", "double_value") else str(v)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            if self.path != "/v1/traces":
                self.send_response(404); self.end_headers(); return
            request = ExportTraceServiceRequest()
            request.ParseFromString(body)
            for resource_spans in request.resource_spans:
                resource = {a.key: value(a.value) for a in resource_spans.resource.attributes}
                for scope_spans in resource_spans.scope_spans:
                    for span in scope_spans.spans:
                        print("SPAN " + json.dumps({
                            "service": resource.get("service.name"), "name": span.name, "kind": span.kind,
                            "trace_id": span.trace_id.hex(), "span_id": span.span_id.hex(), "parent_span_id": span.parent_span_id.hex(),
                            "attributes": {a.key: value(a.value) for a in span.attributes},
                            "links": [{"trace_id": l.trace_id.hex(), "span_id": l.span_id.hex()} for l in span.links],
                            "status": span.status.code,
                        }), flush=True)
            answer = ExportTraceServiceResponse().SerializeToString()
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print("READY", server.server_address[1], flush=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sys.stdin.read()
    """#
}
