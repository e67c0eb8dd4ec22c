import { useEffect, useId, useLayoutEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react'
import { useQueryClient } from '@tanstack/react-query'
import { api, qs } from '../../api/client'
import { keys, useMessages } from '../../api/queries'
import type { Message, User } from '../../api/types'
import { useI18n } from '../../i18n'
import { encodeMentions, mentionQuery, splitMentions } from '../../lib/mentions'
import { useFlash, usePresence, usePresenceBeacon, useRooms } from '../../live/hooks'
import { uniquePeople } from '../../live/presence'
import { useApp } from '../../state/app'
import { toastError } from '../../components/Toasts'
import { useDeleteMessage, useEditMessage, useSendMessage } from './mutations'
import { Avatar, ErrorState, Loading } from '../../components/ui'

/** A thread's messages, live; bodies are always rendered as text. */
export function Chat({ subject, autoFocus = false, compact = false }: { subject: string; autoFocus?: boolean; compact?: boolean }) {
  const { t } = useI18n()
  const { canWrite } = useApp()
  const qc = useQueryClient()
  const q = useMessages(subject)
  const room = `thread:${subject}`
  useRooms([room])
  // "typing…": the thread's presence says who is writing (field "typing"), like the draft page's fields.
  const setField = usePresenceBeacon(room)
  const { me, userName } = useApp()
  const typing = uniquePeople(usePresence(room)).filter((u) => u.field === 'typing' && u.id !== me.user.id)
  const listRef = useRef<HTMLOListElement>(null)
  const [olderDone, setOlderDone] = useState(false)
  const [loadingOlder, setLoadingOlder] = useState(false)
  const messages = q.data ?? []
  const count = messages.length
  const lastId = messages[count - 1]?.id

  // Stay at the bottom when a message arrives, unless the person scrolled up to read.
  const stick = useRef(true)
  useLayoutEffect(() => {
    const el = listRef.current
    if (el && stick.current) el.scrollTop = el.scrollHeight
  }, [lastId, count])

  const loadOlder = async () => {
    const first = messages[0]
    if (!first) return
    setLoadingOlder(true)
    try {
      const older = await api.get<Message[]>(`/api/feedback/threads/${encodeURIComponent(subject)}/messages${qs({ before: first.id, limit: 50 })}`)
      if (older.length < 50) setOlderDone(true)
      stick.current = false
      qc.setQueryData<Message[]>(keys.messages(subject), (list) => {
        const seen = new Set((list ?? []).map((m) => m.id))
        return [...older.filter((m) => !seen.has(m.id)), ...(list ?? [])]
      })
    } catch (err) {
      toastError(err, t('chat.load_failed'))
    } finally {
      setLoadingOlder(false)
    }
  }

  return (
    <section className={`chat${compact ? ' chat--compact' : ''}`} aria-label={t('chat.title')}>
      {q.isLoading && <Loading />}
      {q.isError && <ErrorState error={q.error} onRetry={() => void q.refetch()} />}
      {q.data && (
        <ol
          className="chat__list"
          ref={listRef}
          onScroll={(e) => {
            const el = e.currentTarget
            stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40
          }}
        >
          {count >= 50 && !olderDone && (
            <li className="chat__older">
              <button type="button" className="btn btn--link" onClick={() => void loadOlder()} disabled={loadingOlder}>
                {t('chat.show_earlier')}
              </button>
            </li>
          )}
          {count === 0 && <li className="chat__empty muted">{t('chat.empty')}</li>}
          {messages.map((m) => (
            <ChatMessage key={m.id} m={m} subject={subject} />
          ))}
        </ol>
      )}
      {typing.length > 0 && (
        <p className="chat__typing muted small" data-testid="chat-typing" aria-live="polite">
          {t('chat.typing', { names: typing.map((u) => u.name || userName(u.id)).join(', ') })}
        </p>
      )}
      {canWrite && <Composer subject={subject} autoFocus={autoFocus} onSent={() => (stick.current = true)} onTyping={setField} />}
    </section>
  )
}

export function MessageBody({ body }: { body: string }) {
  const { userName } = useApp()
  return (
    <>
      {splitMentions(body).map((p, i) =>
        p.type === 'text' ? (
          <span key={i}>{p.text}</span>
        ) : (
          <span key={i} className="mention">
            @{userName(p.id)}
          </span>
        ),
      )}
    </>
  )
}

function ChatMessage({ m, subject }: { m: Message; subject: string }) {
  const { t, fmt } = useI18n()
  const { users, me, isAdmin, canWrite } = useApp()
  const flashing = useFlash(`message:${m.id}`)
  const edit = useEditMessage(subject)
  const del = useDeleteMessage(subject)
  const [editing, setEditing] = useState(false)
  const [draft, setDraft] = useState(m.body)
  const author = users.get(m.author_id)
  const mine = m.author_id === me.user.id
  const editId = useId()

  const save = () =>
    edit.mutate({ id: m.id, body: draft }, { onSuccess: () => setEditing(false), onError: (err) => toastError(err, t('chat.save_failed')) })
  const remove = () => del.mutate(m, { onError: (err) => toastError(err, t('chat.save_failed')) })

  return (
    <li className={`msg${flashing ? ' is-flash' : ''}${mine ? ' msg--mine' : ''}`} data-testid={`chat-message-${m.id}`}>
      <Avatar user={author} id={m.author_id} size={32} />
      <div className="msg__main">
        <div className="msg__head">
          <strong>{author?.name ?? `#${m.author_id}`}</strong>
          <time className="muted small" dateTime={m.created_at} title={fmt.dateTime(m.created_at)}>
            {fmt.relative(m.created_at)}
          </time>
          {m.edited_at && !m.deleted && <span className="muted small">({t('chat.edited')})</span>}
        </div>
        {m.deleted ? (
          <p className="msg__body msg__body--deleted">{t('chat.deleted')}</p>
        ) : editing ? (
          <div className="msg__edit">
            <label htmlFor={editId} className="sr-only">
              {t('chat.edit_message')}
            </label>
            <textarea id={editId} className="input" value={draft} rows={2} onChange={(e) => setDraft(e.target.value)} />
            <div className="row">
              <button type="button" className="btn btn--primary btn--sm" onClick={() => void save()} disabled={!draft.trim()}>
                {t('common.save')}
              </button>
              <button type="button" className="btn btn--ghost btn--sm" onClick={() => setEditing(false)}>
                {t('common.cancel')}
              </button>
            </div>
          </div>
        ) : (
          <p className="msg__body">
            <MessageBody body={m.body} />
          </p>
        )}
        {!m.deleted && !editing && canWrite && (mine || isAdmin) && (
          <div className="msg__actions">
            {mine && (
              <button
                type="button"
                className="btn btn--link small"
                onClick={() => {
                  setDraft(m.body)
                  setEditing(true)
                }}
              >
                {t('common.edit')}
              </button>
            )}
            <button type="button" className="btn btn--link small danger" onClick={() => void remove()}>
              {t('common.delete')}
            </button>
          </div>
        )}
      </div>
    </li>
  )
}

const TYPING_IDLE_MS = 4000

function Composer({ subject, autoFocus, onSent, onTyping }: { subject: string; autoFocus: boolean; onSent: () => void; onTyping: (field: string | null) => void }) {
  const idle = useRef<ReturnType<typeof setTimeout> | null>(null)
  const typing = (on: boolean) => {
    if (idle.current) clearTimeout(idle.current)
    onTyping(on ? 'typing' : null)
    if (on) idle.current = setTimeout(() => onTyping(null), TYPING_IDLE_MS)
  }
  const { t } = useI18n()
  const { users, me } = useApp()
  const ref = useRef<HTMLTextAreaElement>(null)
  const [text, setText] = useState('')
  const sendMessage = useSendMessage(subject)
  const sending = sendMessage.isPending
  const [query, setQuery] = useState<string | null>(null)
  const [active, setActive] = useState(0)
  const picked = useRef(new Map<string, number>())
  const listId = useId()
  const inputId = useId()

  useEffect(() => {
    if (autoFocus) ref.current?.focus()
  }, [autoFocus])

  const matches = useMemo<User[]>(() => {
    if (query === null) return []
    const q = query.toLowerCase()
    return [...users.values()]
      .filter((u) => u.active !== false && u.id !== me.user.id && (u.name.toLowerCase().includes(q) || u.email.toLowerCase().startsWith(q)))
      .slice(0, 6)
  }, [query, users, me.user.id])

  const updateQuery = (value: string, caret: number) => {
    setQuery(mentionQuery(value.slice(0, caret)))
    setActive(0)
  }

  const pick = (u: User) => {
    const el = ref.current
    const caret = el?.selectionStart ?? text.length
    const before = text.slice(0, caret).replace(/@([^\s@<>]*)$/, `@${u.name} `)
    const next = before + text.slice(caret)
    picked.current.set(u.name, u.id)
    setText(next)
    setQuery(null)
    requestAnimationFrame(() => {
      el?.focus()
      el?.setSelectionRange(before.length, before.length)
    })
  }

  const send = () => {
    const body = encodeMentions(text.trim(), picked.current)
    if (!body || sending) return
    sendMessage.mutate(body, {
      onSuccess: () => {
        setText('')
        picked.current.clear()
        typing(false)
        onSent()
      },
      onError: (err) => toastError(err, t('chat.send_failed')),
    })
  }

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    // Never act on Enter while an IME composition (Korean) is being confirmed.
    if (e.nativeEvent.isComposing || e.keyCode === 229) return
    if (matches.length) {
      if (e.key === 'ArrowDown') {
        e.preventDefault()
        setActive((a) => (a + 1) % matches.length)
        return
      }
      if (e.key === 'ArrowUp') {
        e.preventDefault()
        setActive((a) => (a - 1 + matches.length) % matches.length)
        return
      }
      if (e.key === 'Enter' || e.key === 'Tab') {
        e.preventDefault()
        pick(matches[active])
        return
      }
      if (e.key === 'Escape') {
        setQuery(null)
        return
      }
    }
    if (e.key === 'Enter' && !e.shiftKey) {
      e.preventDefault()
      void send()
    }
  }

  return (
    <div className="composer">
      {matches.length > 0 && (
        <ul className="mentions" role="listbox" id={listId} aria-label={t('chat.mention_people')}>
          {matches.map((u, i) => (
            <li
              key={u.id}
              id={`${listId}-${u.id}`}
              role="option"
              aria-selected={i === active}
              className={i === active ? 'is-active' : ''}
              onMouseDown={(e) => {
                e.preventDefault()
                pick(u)
              }}
            >
              <Avatar user={u} size={22} /> {u.name}
            </li>
          ))}
        </ul>
      )}
      <label htmlFor={inputId} className="sr-only">
        {t('chat.input_label')}
      </label>
      <textarea
        id={inputId}
        ref={ref}
        className="input composer__input"
        data-testid="chat-input"
        rows={2}
        value={text}
        placeholder={t('chat.placeholder')}
        maxLength={4000}
        role="combobox"
        aria-expanded={matches.length > 0}
        aria-controls={matches.length ? listId : undefined}
        aria-autocomplete="list"
        aria-activedescendant={matches.length ? `${listId}-${matches[active]?.id}` : undefined}
        onChange={(e) => {
          setText(e.target.value)
          updateQuery(e.target.value, e.target.selectionStart ?? e.target.value.length)
          typing(e.target.value.trim() !== '')
        }}
        onKeyDown={onKeyDown}
        onBlur={() => {
          typing(false)
          setTimeout(() => setQuery(null), 150)
        }}
      />
      <button type="button" className="btn btn--primary composer__send" onClick={() => void send()} disabled={!text.trim() || sending}>
        {t('chat.send')}
      </button>
      <p className="composer__hint muted small" aria-hidden="true">
        {t('chat.hint')}
      </p>
    </div>
  )
}
