"""Every sentence the bot says, in Korean and English (the person's language: their Boost
setting, else Slack's locale through directory sync, else the org's)."""

from __future__ import annotations

from typing import Any

from boost_platform.grammar import fill

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "drafting_open": "Drafting for *{cycle}* is open. Write *{team:'s}* OKRs together — it takes a few minutes.",
        "approval_due": "*{team:'s}* OKRs for *{cycle}* are due for approval in 2 days; {count} not submitted yet.",
        "approval_due.none": "*{team:'s}* OKRs for *{cycle}* are due for approval in 2 days.",
        "weekly_check_in": "Time for your weekly check-in: {count} of your key results in *{cycle}* had no update this week.",
        "review_mid_quarter": "It's mid-quarter. *{team}* is at {progress} with {expected} expected by now — a good moment to review.",
        "retro_open": "*{cycle}* is wrapping up. Share what went well and what to improve for *{team}*.",
        "approval_requested": "*{owner}* asks you to approve *{title}* ({cycle}).",
        "approval_decided.approved": "*{title}* was approved by *{by}*. 🎉",
        "approval_decided.changes_requested": "*{by}* asked for changes to *{title}*: {comment}",
        "outcome.approved": "✅ Approved by {by}",
        "outcome.changes_requested": "✏️ Changes requested by {by}: {comment}",
        "feedback_received": "*{author}* gave you {kind_label}: {body}",
        "feedback_received.on": "*{author}* gave {kind_label} on *{title}*: {body}",
        "mentioned": "*{author}* mentioned you: {body}",
        "source_failing": "The data source *{source}* stopped updating *{title}*: {error}. Nothing is recorded until it works again.",
        "team_digest": "*{team}* this week: {check_ins} check-ins, {at_risk} key results at risk, {feedback} new feedback. Progress {progress} (expected {expected}).",
        "team_digest.at_risk": "*At risk*",
        "kind.praise": "praise", "kind.suggestion": "a suggestion", "kind.question": "a question", "kind.retro": "a retro note",
        "button.open": "Open in Boost", "button.check_in": "Check in", "button.snooze": "Remind me tomorrow",
        "button.approve": "Approve", "button.request_changes": "Request changes", "button.open_draft": "Open {team:'s} draft",
        "health.on_track": "On track", "health.at_risk": "At risk", "health.off_track": "Off track",
        "health.unknown": "No check-in yet",
        "snoozed": "Okay — I'll remind you tomorrow.",
        "modal.checkin.title": "Check in", "modal.save": "Save", "modal.cancel": "Cancel",
        "modal.value": "Current value", "modal.value.hint": "Now {current} → target {target}{unit}",
        "modal.value.boolean": "Done? Enter 1 for done, 0 for not yet", "modal.confidence": "Confidence (0–10)",
        "modal.note": "Note", "modal.saving": "Saving your check-in…",
        "modal.saving.body": "okr is slow right now; I'll send you a message when it's recorded.",
        "modal.request_changes.title": "Request changes", "modal.comment": "What should change?",
        "modal.send": "Send",
        "error.number": "Enter a number, e.g. 42 or 3.5.", "error.confidence": "Pick a whole number from 0 to 10.",
        "error.note": "At most 2,000 characters.", "error.comment": "Say what should change.",
        "checkin.done": "Checked in *{title}*: {value}{unit} ({progress}).",
        "checkin.failed": "Your check-in on *{title}* was not recorded: {detail}",
        "not_linked": "I don't know your Slack account in Boost yet. Sign in once at {url} (or ask an admin to sync the Slack directory).",
        "okr.header": "Your key results in *{cycle}*",
        "okr.empty": "You own no key results in *{cycle}* yet. Draft some at {url}",
        "okr.help": ("*/okr* — your key results this quarter, with a Check in button\n"
                     "*/okr team <name>* — a team's objectives and progress\n*/okr help* — this help"),
        "okr.team.header": "*{team}* in *{cycle}*: {progress} (expected {expected})",
        "okr.team.none": "No team is called “{name}”. Teams: {teams}",
        "okr.team.empty": "No objectives for *{team}* in *{cycle}* yet.",
        "okr.working": "Looking that up…",
        "refused": "That didn't work: {detail}",
        "modal.failed": "Slack could not open that form just now. Try again, or do it in Boost: {url}",
        "snooze.failed": "I could not snooze this reminder (it is not one of yours, or it is gone).",
        "digest.failing": ("The Friday digest of *{team}* could not be posted to <#{channel}>: {error}. "
                           "Invite Boost to the channel (`/invite @Boost`) or pick another channel in Boost: {url}"),
        "approve.done": "You approved *{title}*.",
        "changes.done": "You asked for changes to *{title}*.",
        "home.krs": "*Your key results* ({cycle})", "home.krs.empty": "No key results of yours this quarter.",
        "home.approvals": "*Waiting for your approval*", "home.approvals.empty": "Nothing is waiting for you.",
        "home.feedback": "*Recent feedback for you*", "home.feedback.empty": "No feedback yet.",
        "unfurl.owner": "Owner: {owner} · {status} · {cycle}",
        "status.draft": "Draft", "status.submitted": "Submitted", "status.approved": "Approved",
        "status.changes_requested": "Changes requested", "status.closed": "Closed",
        "progress": "{progress} done",
    },
    "ko": {
        "drafting_open": "*{cycle}* OKR 작성이 시작되었습니다. *{team}* 팀의 OKR을 함께 써 보세요. 몇 분이면 됩니다.",
        "approval_due": "*{team}* 팀의 *{cycle}* OKR 승인 마감이 2일 남았습니다. 아직 제출되지 않은 목표가 {count}개 있습니다.",
        "approval_due.none": "*{team}* 팀의 *{cycle}* OKR 승인 마감이 2일 남았습니다.",
        "weekly_check_in": "주간 체크인 시간입니다. *{cycle}* 핵심 결과 {count}개가 이번 주에 업데이트되지 않았습니다.",
        "review_mid_quarter": "분기의 절반이 지났습니다. *{team}* 팀 진행률은 {progress}, 지금까지 기대치는 {expected}입니다. 중간 점검을 해 보세요.",
        "retro_open": "*{cycle}*{cycle:^이/가} 마무리되고 있습니다. *{team}* 팀의 잘한 점과 개선할 점을 나눠 주세요.",
        "approval_requested": "*{owner}* 님이 *{title}* ({cycle}) 승인을 요청했습니다.",
        "approval_decided.approved": "*{title}*{title:^이/가} *{by}* 님에 의해 승인되었습니다. 🎉",
        "approval_decided.changes_requested": "*{by}* 님이 *{title}*에 수정을 요청했습니다: {comment}",
        "outcome.approved": "✅ {by} 님이 승인함",
        "outcome.changes_requested": "✏️ {by} 님이 수정 요청함: {comment}",
        "feedback_received": "*{author}* 님이 {kind_label:을/를} 남겼습니다: {body}",
        "feedback_received.on": "*{author}* 님이 *{title}*에 {kind_label:을/를} 남겼습니다: {body}",
        "mentioned": "*{author}* 님이 회원님을 언급했습니다: {body}",
        "source_failing": "데이터 소스 *{source}*에서 *{title}* 값을 가져오지 못하고 있습니다: {error}. 다시 동작할 때까지 아무것도 기록되지 않습니다.",
        "team_digest": "*{team}* 팀의 이번 주: 체크인 {check_ins}건, 주의 필요 핵심 결과 {at_risk}개, 새 피드백 {feedback}건. 진행률 {progress} (기대치 {expected}).",
        "team_digest.at_risk": "*주의 필요*",
        "kind.praise": "칭찬", "kind.suggestion": "제안", "kind.question": "질문", "kind.retro": "회고",
        "button.open": "Boost에서 열기", "button.check_in": "체크인", "button.snooze": "내일 다시 알림",
        "button.approve": "승인", "button.request_changes": "수정 요청", "button.open_draft": "{team} 초안 열기",
        "health.on_track": "순항", "health.at_risk": "주의", "health.off_track": "위험", "health.unknown": "체크인 전",
        "snoozed": "알겠습니다. 내일 다시 알려 드릴게요.",
        "modal.checkin.title": "체크인", "modal.save": "저장", "modal.cancel": "취소",
        "modal.value": "현재 값", "modal.value.hint": "현재 {current} → 목표 {target}{unit}",
        "modal.value.boolean": "완료했나요? 완료는 1, 아직은 0", "modal.confidence": "자신감 (0–10)",
        "modal.note": "메모", "modal.saving": "체크인을 저장하는 중…",
        "modal.saving.body": "지금 okr 응답이 느립니다. 기록되면 메시지로 알려 드릴게요.",
        "modal.request_changes.title": "수정 요청", "modal.comment": "무엇을 바꿔야 하나요?", "modal.send": "보내기",
        "error.number": "숫자를 입력하세요. 예: 42 또는 3.5", "error.confidence": "0부터 10 사이의 정수를 고르세요.",
        "error.note": "최대 2,000자입니다.", "error.comment": "수정할 내용을 적어 주세요.",
        "checkin.done": "*{title}* 체크인 완료: {value}{unit} ({progress}).",
        "checkin.failed": "*{title}* 체크인이 기록되지 않았습니다: {detail}",
        "not_linked": "아직 Boost에서 회원님의 Slack 계정을 모릅니다. {url} 에서 한 번 로그인하거나 관리자에게 Slack 디렉터리 동기화를 요청하세요.",
        "okr.header": "*{cycle}* 내 핵심 결과",
        "okr.empty": "*{cycle}*에 내 핵심 결과가 아직 없습니다. {url} 에서 작성해 보세요.",
        "okr.help": ("*/okr* — 이번 분기 내 핵심 결과와 체크인 버튼\n"
                     "*/okr team <이름>* — 팀의 목표와 진행률\n*/okr help* — 도움말"),
        "okr.team.header": "*{team}* 팀 *{cycle}*: {progress} (기대치 {expected})",
        "okr.team.none": "“{name}” 팀을 찾을 수 없습니다. 팀 목록: {teams}",
        "okr.team.empty": "*{cycle}*에 *{team}* 팀의 목표가 아직 없습니다.",
        "okr.working": "찾아보는 중…",
        "refused": "처리하지 못했습니다: {detail}",
        "modal.failed": "지금은 Slack에서 양식을 열 수 없습니다. 다시 시도하거나 Boost에서 해 주세요: {url}",
        "snooze.failed": "이 알림을 미루지 못했습니다 (회원님의 알림이 아니거나 이미 없어졌습니다).",
        "digest.failing": ("*{team}* 팀의 금요일 요약을 <#{channel}> 채널에 올리지 못했습니다: {error}. "
                           "채널에 Boost를 초대하거나(`/invite @Boost`) Boost에서 다른 채널을 골라 주세요: {url}"),
        "approve.done": "*{title}*{title:^을/를} 승인했습니다.",
        "changes.done": "*{title}*에 수정을 요청했습니다.",
        "home.krs": "*내 핵심 결과* ({cycle})", "home.krs.empty": "이번 분기 내 핵심 결과가 없습니다.",
        "home.approvals": "*승인 대기 중*", "home.approvals.empty": "기다리는 항목이 없습니다.",
        "home.feedback": "*최근 받은 피드백*", "home.feedback.empty": "아직 피드백이 없습니다.",
        "unfurl.owner": "담당: {owner} · {status} · {cycle}",
        "status.draft": "초안", "status.submitted": "제출됨", "status.approved": "승인됨",
        "status.changes_requested": "수정 요청됨", "status.closed": "종료됨",
        "progress": "{progress} 달성",
    },
}


def t(locale: str | None, key: str, **values: Any) -> str:
    table = TEXTS.get(locale or "en", TEXTS["en"])
    template = table.get(key) or TEXTS["en"].get(key) or key
    try:
        return fill(template, **values)  # Korean particles and English possessives by the words filled in
    except (KeyError, IndexError, ValueError):
        return template


def percent(value: float | None) -> str:
    return f"{round((value or 0) * 100)}%"
