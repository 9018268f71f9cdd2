import Foundation

/// Text as the PDF standard fonts' WinAnsiEncoding (Windows-1252) writes it: every French letter
/// (é, è, ç, œ, Œ, …), typographic quotes, dashes and €; a character outside it becomes `?`.
enum WinAnsiEncoding {
    /// Windows-1252's 0x80–0x9F, where it differs from Latin-1.
    private static let high: [Unicode.Scalar: UInt8] = [
        "€": 0x80, "‚": 0x82, "ƒ": 0x83, "„": 0x84, "…": 0x85, "†": 0x86, "‡": 0x87, "ˆ": 0x88, "‰": 0x89, "Š": 0x8A,
        "‹": 0x8B, "Œ": 0x8C, "Ž": 0x8E, "‘": 0x91, "’": 0x92, "“": 0x93, "”": 0x94, "•": 0x95, "–": 0x96, "—": 0x97,
        "˜": 0x98, "™": 0x99, "š": 0x9A, "›": 0x9B, "œ": 0x9C, "ž": 0x9E, "Ÿ": 0x9F,
    ]

    /// The bytes of `text`, NUL-terminated for libharu. Decomposed accents are composed first; control
    /// characters become spaces.
    static func encode(_ text: String) -> [CChar] {
        var bytes: [CChar] = []
        bytes.reserveCapacity(text.utf8.count + 1)
        for scalar in text.precomposedStringWithCanonicalMapping.unicodeScalars {
            let value = scalar.value
            let byte: UInt8
            switch value {
            case 0x20..<0x7F, 0xA0...0xFF: byte = UInt8(value)
            case 0..<0x20, 0x7F..<0xA0: byte = 0x20
            default: byte = high[scalar] ?? UInt8(ascii: "?")
            }
            bytes.append(CChar(bitPattern: byte))
        }
        bytes.append(0)
        return bytes
    }
}
