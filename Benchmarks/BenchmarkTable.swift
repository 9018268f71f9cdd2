import Foundation

/// The benchmark's output: a Markdown table, ready for the README.
struct BenchmarkTable {
    private var rows: [[String]] = []

    mutating func add(_ benchmark: String, _ conditions: String, _ result: String) { rows.append([benchmark, conditions, result]) }

    func render() -> String {
        let all = [["Benchmark", "Conditions", "Result"]] + rows
        let widths = (0..<3).map { column in all.map { $0[column].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            "| " + cells.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: " | ") + " |"
        }
        let rule = "|" + widths.map { String(repeating: "-", count: $0 + 2) }.joined(separator: "|") + "|"
        return ([line(all[0]), rule] + rows.map(line)).joined(separator: "\n")
    }
}
