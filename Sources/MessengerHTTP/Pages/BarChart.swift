import Foundation
import Messenger

/// A throughput report drawn as stacked bars (completed under failed) in an SVG the server renders:
/// no script, no external asset. Heights are relative to the tallest bucket.
struct BarChart {
    let report: ThroughputReport
    let label: String

    var context: [String: Any] {
        let buckets = report.buckets
        let peak = max(1, buckets.map { $0.completed + $0.failed }.max() ?? 0)
        let width = 10
        let bars: [[String: Any]] = buckets.enumerated().map { index, bucket in
            let ok = Double(bucket.completed) / Double(peak) * 100
            let bad = Double(bucket.failed) / Double(peak) * 100
            return [
                "x": index * width, "w": width - 1,
                "okY": Self.number(100 - ok), "okH": Self.number(ok),
                "badY": Self.number(100 - ok - bad), "badH": Self.number(bad),
                "title": "\(Display.time(bucket.start)): \(bucket.completed) completed, \(bucket.failed) failed",
            ]
        }
        return [
            "width": max(width, buckets.count * width), "bars": bars, "label": label, "peak": peak > 1 || buckets.contains { $0.completed + $0.failed > 0 } ? peak : 0,
            "from": Display.time(buckets.first?.start), "to": Display.time(buckets.last?.start),
        ]
    }

    private static func number(_ value: Double) -> String { String(format: "%.2f", max(0, value)) }
}
