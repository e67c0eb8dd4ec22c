import type { KeyResult, KrKind } from '../../api/types'
import { EditableNumber, EditableSelect, EditableText, type FieldPresence } from '../../components/Editable'
import { Icon } from '../../components/icons'
import { useI18n } from '../../i18n'
import { useFlash } from '../../live/hooks'
import { MilestoneItems } from './MilestoneItems'
import { useDeleteKeyResult } from './mutations'

const KINDS: KrKind[] = ['number', 'percent', 'boolean', 'milestone']
const KIND_KEY = { number: 'kind_kr.number', percent: 'kind_kr.percent', boolean: 'kind_kr.boolean', milestone: 'kind_kr.milestone' } as const

/** One key result on the drafting page: every field editable live, delete with undo. */
export function KrEditRow({
  kr,
  canEdit,
  presence,
  onStructural,
  ownerOptions,
}: {
  kr: KeyResult
  canEdit: boolean
  presence: FieldPresence
  onStructural?: () => void
  ownerOptions: { value: string; label: string }[]
}) {
  const { t } = useI18n()
  const flashing = useFlash(`kr:${kr.id}`)
  const deleteKeyResult = useDeleteKeyResult()
  const kindOptions = KINDS.map((k) => ({ value: k, label: t(KIND_KEY[k]) }))
  const numeric = kr.kind === 'number' || kr.kind === 'percent'

  const remove = () => {
    onStructural?.()
    deleteKeyResult.mutate(kr)
  }

  return (
    <li className={`kredit${flashing ? ' is-flash' : ''}`} data-testid={`kr-${kr.id}`} id={`kr-${kr.id}`}>
      <EditableText
        entity="key_result"
        id={kr.id}
        field="title"
        serverValue={kr.title}
        version={kr.version}
        label={t('draft.kr_title')}
        className="kredit__title"
        multiline
        maxChars={200}
        readOnly={!canEdit}
        presence={presence}
      />
      <div className="kredit__fields">
        <label className="meta-field">
          <span className="label">{t('draft.kind')}</span>
          <EditableSelect entity="key_result" id={kr.id} field="kind" serverValue={kr.kind} version={kr.version} label={t('draft.kind')} options={kindOptions} disabled={!canEdit} presence={presence} onFocusField={onStructural} />
        </label>
        {numeric && (
          <>
            {/* Start → Target stay together on one line: on a phone the pair wraps as a whole. */}
            <span className="kredit__range" data-testid={`kr-range-${kr.id}`}>
            <label className="meta-field meta-field--num">
              <span className="label">{t('draft.start')}</span>
              <EditableNumber entity="key_result" id={kr.id} field="start" serverValue={kr.start} version={kr.version} label={t('draft.start')} readOnly={!canEdit} presence={presence} onFocusField={onStructural} />
            </label>
            <span className="kredit__arrow" aria-hidden="true">
              →
            </span>
            <label className="meta-field meta-field--num">
              <span className="label">{t('draft.target')}</span>
              <EditableNumber entity="key_result" id={kr.id} field="target" serverValue={kr.target} version={kr.version} label={t('draft.target')} readOnly={!canEdit} presence={presence} onFocusField={onStructural} />
            </label>
            </span>
            {kr.kind === 'number' && (
              <label className="meta-field meta-field--unit">
                <span className="label">{t('draft.unit')}</span>
                <EditableText entity="key_result" id={kr.id} field="unit" serverValue={kr.unit ?? ''} version={kr.version} label={t('draft.unit')} readOnly={!canEdit} presence={presence} placeholder={t('draft.unit_ph')} />
              </label>
            )}
          </>
        )}
        <label className="meta-field meta-field--num">
          <span className="label">{t('draft.weight')}</span>
          <EditableNumber entity="key_result" id={kr.id} field="weight" serverValue={kr.weight} version={kr.version} label={t('draft.weight')} readOnly={!canEdit} presence={presence} onFocusField={onStructural} min={0} />
        </label>
        <label className="meta-field">
          <span className="label">{t('draft.owner')}</span>
          <EditableSelect entity="key_result" id={kr.id} field="owner_id" serverValue={kr.owner_id} version={kr.version} label={t('draft.owner')} options={ownerOptions} disabled={!canEdit} presence={presence} parse={Number} />
        </label>
        {canEdit && (
          <button type="button" className="icon-btn kredit__delete" aria-label={t('draft.delete_kr', { title: kr.title })} onClick={() => void remove()}>
            <Icon name="trash" size={18} />
          </button>
        )}
      </div>
      {kr.kind === 'milestone' && <MilestoneItems kr={kr} canEdit={canEdit} />}
    </li>
  )
}
