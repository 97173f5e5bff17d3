//! The stdio stream of `srun -N1 -n1 hostname` on the reference cluster
//! (refslurm captures/srun.pcap, stepd → srun): io init message, one
//! stdout frame "vm\n", then the EOF frames of stdout and stderr.

use wire::step_io::{IoHdr, IoInitMsg, IO_STDERR, IO_STDOUT};

const STREAM_HEX: &[&str] = &[
    "000002362600000000000000000100000001000002244d554e47453a417751464141446c3246324875456d385552582f",
    "3143454e4f67322f3132432b4a452b764b7132594171426d4336684e57476d78732b706531564b74694e50673974684a",
    "58337177394b6e46394478327a67596f4b316f4f444d5555307a5636787a7574334e7137625248756a5a42434a323736",
    "787257312b4230777330632b7573464b6474457556557a73382f6931467434487079384234614d4c6a514e5a6854776d",
    "4b4443742b6268473336536e765558465541574e4276566a494b394c4b746142426f3665774d7a6531694746702b4d59",
    "6242535a4d6a746447756d465059463647652b4c36626b51776e5953516e654e774e4f6e683572505945334b63497358",
    "594d5677565767392b5564456a6b72526b48494b58686d624537544a2f46394e73545277535146647172655738396c6f",
    "6b616a52366c75623351746843696251446a3137706a446749685658545956576e524a74504f71744133425973537666",
    "336536474331504e41587355762f4154466447714369336d6448543261726b375573502f536f71307441443638425930",
    "374b55415444524253495137447473474861555043556d4b4343644e2b504a4671676a6c2b4e48444c75524e444e5536",
    "4b734c333351385273325a5546665453644f356e656736634f4969317762656f474c6e4a716e6f4f6372686470495834",
    "653466383278504c42716b4b3465514c5744437665393846303736323565672b6161642f75314c6e3a00000100000000",
    "00000003766d0a0001000000000000000000020000000000000000",
];

fn stream() -> Vec<u8> {
    let hex: String = STREAM_HEX.concat();
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn io_init_message_matches_upstream_bytes() {
    let b = stream();
    let len = u32::from_be_bytes(b[..4].try_into().unwrap()) as usize;
    let init = IoInitMsg::from_bytes(&b[..4 + len]).unwrap();
    assert_eq!(init.version, 0x2600);
    assert_eq!(init.nodeid, 0);
    assert_eq!((init.stdout_objs, init.stderr_objs), (1, 1));
    // The key is the credential signature: MUNGE text plus its NUL.
    assert!(init.io_key.starts_with(b"MUNGE:"));
    assert_eq!(init.io_key.last(), Some(&0));
    assert_eq!(init.to_bytes(), b[..4 + len]);
}

#[test]
fn output_and_eof_frames_match_upstream_bytes() {
    let b = stream();
    let len = u32::from_be_bytes(b[..4].try_into().unwrap()) as usize;
    let mut rest = &b[4 + len..];
    let mut frames = Vec::new();
    while !rest.is_empty() {
        let hdr = IoHdr::from_bytes(rest[..IoHdr::SIZE].try_into().unwrap());
        let end = IoHdr::SIZE + hdr.length as usize;
        assert_eq!(hdr.to_bytes(), rest[..IoHdr::SIZE]);
        frames.push((hdr, rest[IoHdr::SIZE..end].to_vec()));
        rest = &rest[end..];
    }
    let hdr = |kind, length| IoHdr {
        kind,
        gtaskid: 0,
        ltaskid: 0,
        length,
    };
    assert_eq!(
        frames,
        vec![
            (hdr(IO_STDOUT, 3), b"vm\n".to_vec()),
            (hdr(IO_STDOUT, 0), vec![]),
            (hdr(IO_STDERR, 0), vec![]),
        ]
    );
}
