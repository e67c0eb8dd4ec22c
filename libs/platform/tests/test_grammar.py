"""Korean particles by the final consonant and English possessives (issue 21, item 11: the
seen examples were "칭찬을(를) 남겼습니다" and "Sales's OKRs")."""

from __future__ import annotations

from boost_platform.grammar import fill, josa, particle, possessive


def test_korean_particles_follow_the_final_consonant() -> None:
    assert josa("칭찬", "을/를") == "칭찬을"
    assert josa("회고", "을/를") == "회고를"
    assert josa("2027-Q1", "이/가") == "2027-Q1이" and josa("2027-Q2", "이/가") == "2027-Q2가"
    assert josa("목표", "은/는") == "목표는" and josa("팀", "과/와") == "팀과"
    assert particle("서울", "으로/로") == "로" and particle("부산", "으로/로") == "으로" and particle("회사", "으로/로") == "로"
    assert josa("Sales", "은/는") == "Sales는"


def test_templates_fill_the_right_particle_and_possessive() -> None:
    assert fill("*{author}* 님이 {kind:을/를} 남겼습니다", author="하늘", kind="칭찬") == "*하늘* 님이 칭찬을 남겼습니다"
    assert fill("*{title}*{title:^이/가} 승인되었습니다", title="매출 두 배로") == "*매출 두 배로*가 승인되었습니다"
    assert fill("{team:'s} OKRs", team="Sales") == "Sales' OKRs"
    assert possessive("Emma") == "Emma's"
    assert fill("{n:.1f}", n=0.66) == "0.7"  # ordinary specs still work
