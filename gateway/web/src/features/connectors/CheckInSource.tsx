import type { CheckIn } from '../../api/types'
import { useConnectorText } from './i18n'

/** Who a check-in came from: its data source ("from SQL") for a data check-in, else the person. */
export function CheckInAuthor({ checkIn, personName }: { checkIn: Pick<CheckIn, 'source'>; personName: string }) {
  const tc = useConnectorText()
  if (!checkIn.source) return <>{personName}</>
  const kind = tc(`kind.${checkIn.source.kind}` as Parameters<typeof tc>[0])
  return <span className="checkins__source">{tc('checkin.from', { kind })}</span>
}
