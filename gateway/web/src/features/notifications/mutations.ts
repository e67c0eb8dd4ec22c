import { useMutation, useQueryClient } from '@tanstack/react-query'
import { api } from '../../api/client'
import { keys } from '../../api/queries'

/** An admin sends an `unknown` or `failed` Slack message again: a new delivery (contract §6). */
export function useResend() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (deliveryId: number) => api.post<unknown>(`/api/notifier/deliveries/${deliveryId}/resend`),
    onSuccess: () => qc.invalidateQueries({ queryKey: keys.deliveriesAll }),
  })
}
