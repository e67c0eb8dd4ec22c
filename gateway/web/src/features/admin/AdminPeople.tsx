import { useId, useRef, useState } from 'react'
import type { UserPatch } from '../../api/bodies'
import { ApiError } from '../../api/client'
import { useSlackChannels, useUsers } from '../../api/queries'
import type { Problem, Role, Team, TeamRole, User } from '../../api/types'
import { toast, toastError } from '../../components/Toasts'
import { ImportCheckIns } from '../forecast'
import { Avatar, EmptyState, ErrorState, Loading } from '../../components/ui'
import { ImportErrors } from '../../components/ImportErrors'
import { useI18n } from '../../i18n'
import { useApp } from '../../state/app'
import { usePageTitle } from '../../lib/pageTitle'
import { isConflict, withSeen } from '../conflict/seen'
import { useUpdateUser } from '../account/mutations'
import { useAddPerson, useAddTeam, useDirectorySync, useImportPeople, useRemoveMember, useSetMemberRole, useUpdateTeam, type ImportChange } from './mutations'

export default function AdminPeople() {
  const { t } = useI18n()
  const { isAdmin } = useApp()
  usePageTitle(t('nav.people'))
  if (!isAdmin) return <EmptyState title={t('error.forbidden')} body={t('admin.only')} />
  return (
    <div className="page page--wide">
      <header className="page__head">
        <div>
          <h1>{t('nav.people')}</h1>
          <p className="muted">{t('admin.people_sub')}</p>
        </div>
      </header>
      <div className="admin-grid">
        <People />
        <TeamsAdmin />
        <ImportCsv />
        <ImportCheckIns />
        <DirectorySync />
      </div>
    </div>
  )
}

function People() {
  const { t } = useI18n()
  const q = useUsers()
  const { me } = useApp()
  const [filter, setFilter] = useState('')
  const ids = useId()
  const updateUser = useUpdateUser()
  // With what this page loaded: a change someone made meanwhile is refused (409), not overwritten.
  const update = (u: User, changes: Partial<User>) =>
    updateUser.mutate(
      { id: u.id, body: withSeen(u as unknown as Record<string, unknown>, changes as Record<string, unknown>) as UserPatch },
      { onError: (err) => (isConflict(err) ? toast({ text: t('conflict.refreshed'), tone: 'error' }) : toastError(err, t('admin.failed'))) },
    )
  const list = (q.data ?? []).filter((u) => !filter || `${u.name} ${u.email}`.toLowerCase().includes(filter.toLowerCase()))
  return (
    <section className="card admin-people" aria-labelledby="h-people">
      <div className="card__head">
        <h2 id="h-people" className="card__title">
          {t('admin.people')}
        </h2>
        <label className="inline-field">
          <span className="sr-only">{t('admin.filter')}</span>
          <input className="input" type="search" placeholder={t('admin.filter')} value={filter} onChange={(e) => setFilter(e.target.value)} />
        </label>
      </div>
      {q.isPending && <Loading />}
      {q.isError && <ErrorState error={q.error} />}
      <ul className="people">
        {list.map((u) => (
          <li key={u.id} className={`person-row${u.active === false ? ' is-inactive' : ''}`}>
            <Avatar user={u} size={32} />
            <div className="person-row__main">
              <strong>{u.name}</strong>
              <span className="muted small">
                {u.email}
                {u.slack_user_id ? ` · Slack ${u.slack_user_id}` : ''}
              </span>
            </div>
            <label className="inline-field">
              <span className="sr-only">{t('admin.role_of', { name: u.name })}</span>
              <select className="select select--sm" value={u.role} disabled={u.id === me.user.id} onChange={(e) => void update(u, { role: e.target.value as Role })}>
                <option value="member">{t('role.member')}</option>
                <option value="admin">{t('role.admin')}</option>
                <option value="guest">{t('role.guest')}</option>
              </select>
            </label>
            <label className="check">
              <input type="checkbox" checked={u.active !== false} disabled={u.id === me.user.id} onChange={(e) => void update(u, { active: e.target.checked })} />
              <span>{t('admin.active')}</span>
            </label>
          </li>
        ))}
      </ul>
      <AddPerson idBase={ids} />
    </section>
  )
}

function AddPerson({ idBase }: { idBase: string }) {
  const { t } = useI18n()
  const [email, setEmail] = useState('')
  const [name, setName] = useState('')
  const addPerson = useAddPerson()
  const add = () =>
    addPerson.mutate(
      { email, name, role: 'member' },
      {
        onSuccess: () => {
          setEmail('')
          setName('')
          toast({ text: t('admin.person_added'), tone: 'success' })
        },
        onError: (err) => toastError(err, t('admin.failed')),
      },
    )
  return (
    <form
      className="addform addform--wrap"
      onSubmit={(e) => {
        e.preventDefault()
        void add()
      }}
    >
      <label htmlFor={`${idBase}-n`} className="sr-only">
        {t('admin.name')}
      </label>
      <input id={`${idBase}-n`} className="input" placeholder={t('admin.name')} value={name} onChange={(e) => setName(e.target.value)} required />
      <label htmlFor={`${idBase}-e`} className="sr-only">
        {t('admin.email')}
      </label>
      <input id={`${idBase}-e`} className="input" type="email" placeholder={t('admin.email')} value={email} onChange={(e) => setEmail(e.target.value)} required />
      <button type="submit" className="btn btn--primary" disabled={!email || !name}>
        {t('admin.add_person')}
      </button>
    </form>
  )
}

function TeamsAdmin() {
  const { t } = useI18n()
  const { teams, users, teamsById } = useApp()
  const [name, setName] = useState('')
  const [parent, setParent] = useState('')
  const ids = useId()
  const root = teams.find((tm) => tm.parent_id === null)
  const addTeam = useAddTeam()
  const create = () =>
    addTeam.mutate(
      { name, parent_id: parent ? Number(parent) : (root?.id ?? null) },
      { onSuccess: () => setName(''), onError: (err) => toastError(err, t('admin.failed')) },
    )
  return (
    <section className="card" aria-labelledby="h-teams-admin">
      <h2 id="h-teams-admin" className="card__title">
        {t('admin.teams')}
      </h2>
      <ul className="teams-admin">
        {teams.map((tm) => (
          <TeamAdminRow key={tm.id} team={tm} users={[...users.values()]} parentName={tm.parent_id ? teamsById.get(tm.parent_id)?.name : undefined} />
        ))}
      </ul>
      <form
        className="addform addform--wrap"
        onSubmit={(e) => {
          e.preventDefault()
          void create()
        }}
      >
        <label htmlFor={`${ids}-tn`} className="sr-only">
          {t('admin.team_name')}
        </label>
        <input id={`${ids}-tn`} className="input" placeholder={t('admin.team_name')} value={name} onChange={(e) => setName(e.target.value)} required />
        <label htmlFor={`${ids}-tp`} className="sr-only">
          {t('admin.parent_team')}
        </label>
        <select id={`${ids}-tp`} className="select" value={parent} onChange={(e) => setParent(e.target.value)}>
          <option value="">{root ? t('admin.under', { name: root.name }) : t('admin.parent_team')}</option>
          {teams.map((tm) => (
            <option key={tm.id} value={tm.id}>
              {t('admin.under', { name: tm.name })}
            </option>
          ))}
        </select>
        <button type="submit" className="btn btn--primary" disabled={!name.trim()}>
          {t('admin.add_team')}
        </button>
      </form>
    </section>
  )
}

function TeamAdminRow({ team, users, parentName }: { team: Team; users: User[]; parentName?: string }) {
  const { t } = useI18n()
  const [open, setOpen] = useState(false)
  const [who, setWho] = useState('')
  const [role, setRole] = useState<TeamRole>('member')
  const [channel, setChannel] = useState(team.slack_channel_id ?? '')
  const ids = useId()
  const setMemberRole = useSetMemberRole()
  const removeMember = useRemoveMember()
  const updateTeam = useUpdateTeam()
  const put = (userId: number, r: TeamRole) => {
    const seenRole = team.members.find((m) => m.user_id === userId)?.role ?? null
    setMemberRole.mutate(
      { teamId: team.id, userId, body: { role: r, version: team.version, base_role: seenRole } },
      { onError: (err) => (isConflict(err) ? toast({ text: t('conflict.refreshed'), tone: 'error' }) : toastError(err, t('admin.failed'))) },
    )
  }
  const remove = (userId: number) =>
    removeMember.mutate({ teamId: team.id, userId }, { onError: (err) => toastError(err, t('admin.failed')) })
  // What this page last knew of the team: the list's copy, or the answer to our own save (a
  // second pick made before the list refetched must not look like someone else's change).
  const known = useRef(team)
  if (team.version > known.current.version) known.current = team
  // Picks are saved one after another: a second pick waits for the first one's answer.
  const saving = useRef<Promise<void>>(Promise.resolve())
  const saveChannel = (value: string = channel): Promise<void> =>
    (saving.current = saving.current.then(() => saveChannelNow(value)))
  const saveChannelNow = async (value: string) => {
    const seen = known.current
    if ((seen.slack_channel_id ?? '') === value) return
    try {
      known.current = await updateTeam.mutateAsync({
        id: team.id,
        body: { slack_channel_id: value || null, version: seen.version, base: { slack_channel_id: seen.slack_channel_id ?? null } },
      })
    } catch (err) {
      (isConflict(err) ? toast({ text: t('conflict.refreshed'), tone: 'error' }) : toastError(err, t('admin.failed')))
    }
  }
  const name = (id: number) => users.find((u) => u.id === id)?.name ?? `#${id}`
  const notMembers = users.filter((u) => !team.members.some((m) => m.user_id === u.id) && u.active !== false)
  return (
    <li className="team-admin">
      <button type="button" className="team-admin__toggle" aria-expanded={open} onClick={() => setOpen((o) => !o)}>
        <strong>{team.name}</strong>
        <span className="muted small">
          {parentName ? `${parentName} · ` : ''}
          {t('teams.members_n', { n: team.members.length })}
        </span>
      </button>
      {open && (
        <div className="team-admin__body">
          <ul className="members">
            {team.members.map((m) => (
              <li key={m.user_id}>
                <span>{name(m.user_id)}</span>
                <label className="inline-field">
                  <span className="sr-only">{t('admin.team_role_of', { name: name(m.user_id) })}</span>
                  <select className="select select--sm" value={m.role} onChange={(e) => void put(m.user_id, e.target.value as TeamRole)}>
                    <option value="member">{t('role.member')}</option>
                    <option value="lead">{t('role.lead')}</option>
                  </select>
                </label>
                <button type="button" className="btn btn--link small danger" onClick={() => void remove(m.user_id)}>
                  {t('admin.remove')}
                </button>
              </li>
            ))}
          </ul>
          <div className="addform addform--wrap">
            <label htmlFor={`${ids}-w`} className="sr-only">
              {t('admin.add_member')}
            </label>
            <select id={`${ids}-w`} className="select" value={who} onChange={(e) => setWho(e.target.value)}>
              <option value="">{t('admin.pick_person')}</option>
              {notMembers.map((u) => (
                <option key={u.id} value={u.id}>
                  {u.name}
                </option>
              ))}
            </select>
            <label htmlFor={`${ids}-r`} className="sr-only">
              {t('admin.team_role')}
            </label>
            <select id={`${ids}-r`} className="select" value={role} onChange={(e) => setRole(e.target.value as TeamRole)}>
              <option value="member">{t('role.member')}</option>
              <option value="lead">{t('role.lead')}</option>
            </select>
            <button
              type="button"
              className="btn"
              disabled={!who}
              onClick={() => {
                void put(Number(who), role)
                setWho('')
              }}
            >
              {t('admin.add_member')}
            </button>
          </div>
          <SlackChannelField id={`${ids}-c`} channel={channel} setChannel={setChannel} save={saveChannel} />
        </div>
      )}
    </li>
  )
}

/**
 * The team's digest channel, picked from Slack's list (public channels and the private ones
 * Boost is in), saying when Boost is not in the chosen one. Without Slack (record-only mode) or
 * when Slack does not answer, a channel id is typed instead.
 */
function SlackChannelField({ id, channel, setChannel, save }: {
  id: string
  channel: string
  setChannel: (value: string) => void
  save: (value?: string) => Promise<void>
}) {
  const { t } = useI18n()
  const channels = useSlackChannels(true)
  if (!channels.isSuccess) {
    return (
      <div className="formrow">
        <label htmlFor={id}>{t('admin.slack_channel')}</label>
        <input id={id} className="input" value={channel} placeholder="C0123456789" disabled={channels.isLoading}
          onChange={(e) => setChannel(e.target.value)} onBlur={() => void save()} />
      </div>
    )
  }
  const list = channels.data
  const chosen = list.find((c) => c.id === channel)
  const warning = !channel ? null
    : !chosen ? t('admin.slack_channel_hidden')
    : !chosen.is_member ? t('admin.slack_channel_not_member', { name: chosen.name })
    : null
  return (
    <div className="formrow">
      <label htmlFor={id}>{t('admin.slack_channel')}</label>
      <select id={id} className="select" value={channel} aria-describedby={warning ? `${id}-warn` : undefined}
        onChange={(e) => {
          setChannel(e.target.value)
          void save(e.target.value)
        }}>
        <option value="">{t('admin.slack_channel_none')}</option>
        {channel && !chosen && <option value={channel}>{t('admin.slack_channel_unlisted', { id: channel })}</option>}
        {list.map((c) => (
          <option key={c.id} value={c.id}>
            {c.is_private ? t('admin.slack_channel_private', { name: `#${c.name}` }) : `#${c.name}`}
          </option>
        ))}
      </select>
      {warning && (
        <p id={`${id}-warn`} className="muted small" role="status" data-testid="slack-channel-warning">
          {warning}
        </p>
      )}
    </div>
  )
}

/** The form's example: it imports as shown (the okr test pastes the same text, IMPORT_EXAMPLE). */
export const IMPORT_EXAMPLE = 'email,name,team,team_role,role\nminji@example.com,Kim Minji,Growth,lead,member\n'

function ImportCsv() {
  const { t } = useI18n()
  const [text, setText] = useState('')
  const [errors, setErrors] = useState<Problem['errors']>([])
  const [preview, setPreview] = useState<{ text: string; changes: ImportChange[] } | null>(null)
  const importPeople = useImportPeople()
  const busy = importPeople.isPending
  const ids = useId()
  const run = (dryRun: boolean) => {
    setErrors([])
    importPeople.mutate(
      { text, dryRun },
      {
        onSuccess: (out) => {
          if (dryRun) return setPreview({ text, changes: out.changes ?? [] })
          toast({ text: t('admin.imported'), tone: 'success' })
          setText('')
          setPreview(null)
        },
        onError: (err) => {
          setPreview(null)
          if (err instanceof ApiError && err.problem.errors?.length) setErrors(err.problem.errors)
          toastError(err, t('admin.failed'))
        },
      },
    )
  }
  const previewed = preview !== null && preview.text === text
  return (
    <section className="card" aria-labelledby="h-import">
      <h2 id="h-import" className="card__title">
        {t('admin.import')}
      </h2>
      <p className="muted small">{t('admin.import_hint')}</p>
      <p className="muted small">{t('admin.import_example')}</p>
      <pre className="mono small import-example" data-testid="import-example">{IMPORT_EXAMPLE}</pre>
      <div className="formrow">
        <label htmlFor={`${ids}-f`}>{t('admin.import_file')}</label>
        <input id={`${ids}-f`} type="file" accept=".csv,text/csv" className="input" onChange={async (e) => setText((await e.target.files?.[0]?.text()) ?? '')} />
      </div>
      <div className="formrow">
        <label htmlFor={`${ids}-t`}>{t('admin.import_text')}</label>
        <textarea id={`${ids}-t`} className="input mono" rows={5} value={text} onChange={(e) => setText(e.target.value)} placeholder={IMPORT_EXAMPLE} />
      </div>
      <ImportErrors errors={errors} />
      {previewed && (
        <div role="status" data-testid="import-preview">
          <p className="label">{preview.changes.length ? t('admin.import_preview_title') : t('admin.import_nothing')}</p>
          <ul className="small">
            {preview.changes.map((c, i) => (
              <li key={i}>
                {c.row != null ? t('admin.row', { n: c.row }) + ': ' : ''}
                {t(`admin.change.${c.action}` as const, { who: c.email ?? '', team: c.team ?? '' })} — {c.detail}
              </li>
            ))}
          </ul>
        </div>
      )}
      <div className="page__actions">
        <button type="button" className="btn" disabled={!text.trim() || busy} onClick={() => void run(true)}>
          {t('admin.import_preview')}
        </button>
        <button type="button" className="btn btn--primary" disabled={!text.trim() || busy || !previewed} onClick={() => void run(false)}>
          {t('admin.import_run')}
        </button>
      </div>
    </section>
  )
}

function DirectorySync() {
  const { t } = useI18n()
  const sync = useDirectorySync()
  const busy = sync.isPending
  const [result, setResult] = useState<string | null>(null)
  const run = () =>
    sync.mutate(undefined, {
      onSuccess: (out) =>
        setResult(out && typeof out === 'object' ? Object.entries(out).map(([k, v]) => `${k}: ${String(v)}`).join(' · ') : t('admin.sync_done')),
      onError: (err) => toastError(err, t('admin.failed')),
    })
  return (
    <section className="card" aria-labelledby="h-sync">
      <h2 id="h-sync" className="card__title">
        {t('admin.sync')}
      </h2>
      <p className="muted small">{t('admin.sync_hint')}</p>
      <button type="button" className="btn" disabled={busy} onClick={() => void run()}>
        {t('admin.sync_run')}
      </button>
      {result && (
        <p className="small" role="status">
          {result}
        </p>
      )}
    </section>
  )
}
