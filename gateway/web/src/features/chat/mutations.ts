// A thread's writes through useMutation; each puts the server's answer into the thread's cached
// messages (keys.messages), so the message shows before its event arrives.
import { useMutation, useQueryClient, type QueryClient } from '@tanstack/react-query'
import type { MessageIn } from '../../api/bodies'
import { api } from '../../api/client'
import { keys } from '../../api/queries'
import type { Message } from '../../api/types'

const putMessage = (qc: QueryClient, subject: string, msg: Message) =>
  qc.setQueryData<Message[]>(keys.messages(subject), (list) => list?.map((x) => (x.id === msg.id ? { ...x, ...msg } : x)))

export function useSendMessage(subject: string) {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (body: string) =>
      api.post<Message>(`/api/feedback/threads/${encodeURIComponent(subject)}/messages`, { body } satisfies MessageIn),
    onSuccess: (msg) =>
      qc.setQueryData<Message[]>(keys.messages(subject), (list) => {
        const l = list ?? []
        return l.some((m) => m.id === msg.id) ? l : [...l, msg]
      }),
  })
}

export function useEditMessage(subject: string) {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: ({ id, body }: { id: number; body: string }) => api.patch<Message>(`/api/feedback/messages/${id}`, { body } satisfies MessageIn),
    onSuccess: (msg) => {
      if (msg?.id) putMessage(qc, subject, msg)
    },
  })
}

export function useDeleteMessage(subject: string) {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (m: Message) => api.del<Message | undefined>(`/api/feedback/messages/${m.id}`),
    onSuccess: (msg, m) => putMessage(qc, subject, msg?.id ? msg : { ...m, deleted: true, body: '' }),
  })
}
